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
     * (optional, e.g. "P103") groups edits for coachhook-span-relation.
     */
    public record FactEditRequest(String subject, String prompt, String targetNew, String targetTrue,
                                  List<String> paraphrases, List<LocalityPrompt> locality, String relation) {
    }

    /** An unrelated prompt and the answer the model must keep giving. */
    public record LocalityPrompt(String prompt, String expected) {
    }

    /** Phase and percent reported by the worker's heartbeats. */
    public record Progress(String phase, Integer percent) {
    }

    /** The job of a batch as the batch view shows it. */
    public record JobInfo(long id, String status, int attempt, String leasedBy, Instant leaseExpiresAt) {
    }

    /** A fact edit as stored. */
    public record FactEditView(int ordinal, String subject, String prompt, String targetNew, String targetTrue,
                               List<String> paraphrases, List<LocalityPrompt> locality, String relation) {
        static final TypeReference<List<String>> STRINGS = new TypeReference<>() {
        };
        static final TypeReference<List<LocalityPrompt>> PROBES = new TypeReference<>() {
        };

        static FactEditView of(FactEdit e) {
            return new FactEditView(e.ordinal, e.subject, e.prompt, e.targetNew, e.targetTrue,
                    Json.read(e.paraphrasesJson, STRINGS), Json.read(e.localityJson, PROBES), e.relation);
        }
    }

    /** A batch; {@code edits} is filled on single-batch reads and leases, empty in lists. */
    public record BatchView(long id, long modelId, String branch, int position, Long parentVersionId,
                            String submitter, String reason, String ticket, EditMethod method,
                            JsonNode hyperparameters, BatchStatus status, Progress progress, String error,
                            Long resultVersionId, long editCount, JobInfo job, Instant createdAt, Instant updatedAt,
                            List<FactEditView> edits) {
    }

    /** Cancel request. */
    public record CancelRequest(String reason) {
    }
}
