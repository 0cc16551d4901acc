package dev.hookline.registry.batch;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.registry.api.Json;

import java.time.Instant;
import java.util.List;

/** Request and response records of the batch API (never entities). */
public final class BatchDtos {

    private BatchDtos() {
    }

    /**
     * Submit a batch.
     *
     * @param modelId         the base model
     * @param branch          branch name, default {@code main}; created on first use
     * @param parentVersionId for a new branch: the version it forks from (absent = base model);
     *                        for an existing branch: optional guard, must equal the version the
     *                        batch would extend now (409 otherwise)
     * @param queue           false keeps the batch SUBMITTED until {@code POST /api/batches/{id}/queue}
     */
    public record SubmitBatchRequest(Long modelId, String branch, Long parentVersionId, EditMethod method,
                                     JsonNode hyperparameters, String reason, String ticket, Boolean queue,
                                     List<FactEditRequest> edits) {
    }

    /**
     * One fact edit: the prompt has exactly one {@code {}} where the subject goes; {@code relation}
     * (optional, e.g. "P103") groups edits for coachhook-span-relation and names the fact with the
     * subject; {@code supersedes} true knowingly replaces an earlier edit of the same fact on the
     * branch with another target (refused with 409 otherwise).
     */
    public record FactEditRequest(String subject, String prompt, String targetNew, String targetTrue,
                                  List<String> paraphrases, List<LocalityPrompt> locality, String relation,
                                  Boolean supersedes) {
        /** An edit that supersedes nothing. */
        public FactEditRequest(String subject, String prompt, String targetNew, String targetTrue,
                               List<String> paraphrases, List<LocalityPrompt> locality, String relation) {
            this(subject, prompt, targetNew, targetTrue, paraphrases, locality, relation, null);
        }
    }

    /** An unrelated prompt and the answer the model must keep giving. */
    public record LocalityPrompt(String prompt, String expected) {
    }

    /** The earlier edit a superseding edit replaces. */
    public record Superseded(long editId, long batchId, int ordinal, String targetNew) {
    }

    /** Phase and percent reported by the worker's heartbeats. */
    public record Progress(String phase, Integer percent) {
    }

    /** The job of a batch as the batch view shows it. */
    public record JobInfo(long id, String status, int attempt, String leasedBy, Instant leaseExpiresAt) {
    }

    /**
     * A fact edit as stored; {@code supersedes} names the earlier edit (id, batch, target) it
     * replaces, or is null.
     */
    public record FactEditView(int ordinal, String subject, String prompt, String targetNew, String targetTrue,
                               List<String> paraphrases, List<LocalityPrompt> locality, String relation, long id,
                               Superseded supersedes) {
        static final TypeReference<List<String>> STRINGS = new TypeReference<>() {
        };
        static final TypeReference<List<LocalityPrompt>> PROBES = new TypeReference<>() {
        };

        static FactEditView of(FactEdit e) {
            Superseded sup = null;
            if (e.supersedesEditId != null) {
                FactEdit old = FactEdit.findById(e.supersedesEditId);
                sup = new Superseded(old.id, old.batchId, old.ordinal, old.targetNew);
            }
            return new FactEditView(e.ordinal, e.subject, e.prompt, e.targetNew, e.targetTrue,
                    Json.read(e.paraphrasesJson, STRINGS), Json.read(e.localityJson, PROBES), e.relation, e.id, sup);
        }
    }

    /**
     * A batch; {@code edits} is filled on single-batch reads and leases, empty in lists;
     * {@code revertsBatchId} / {@code replaysBatchIds} are set on a revert batch (else null);
     * {@code modelDefaults}: the model's edit defaults for the batch's method at submission, which the worker
     * applies where {@code hyperparameters} names nothing ({@code {}}: none).
     */
    public record BatchView(long id, long modelId, String branch, int position, Long parentVersionId,
                            String submitter, String reason, String ticket, EditMethod method,
                            JsonNode hyperparameters, JsonNode modelDefaults, BatchStatus status, Progress progress, String error,
                            Long resultVersionId, long editCount, JobInfo job, Instant createdAt, Instant updatedAt,
                            List<FactEditView> edits, Long revertsBatchId, JsonNode replaysBatchIds) {
    }

    /** Cancel request. */
    public record CancelRequest(String reason) {
    }
}
