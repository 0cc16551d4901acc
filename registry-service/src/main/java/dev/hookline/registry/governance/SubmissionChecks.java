/*
 * Checks of a batch at submission (issue 25), before anything is stored: the method and its
 * hyperparameters against the registered workers' advertisements, every subject, prompt and
 * target against the model's tokenizer, and fact conflicts against the branch's earlier edits.
 * BatchService calls {@link #check} inside its transaction; a refusal rolls everything back.
 */
package dev.hookline.registry.governance;

import dev.hookline.registry.batch.EditMethod;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.api.Json;
import dev.hookline.registry.api.Problem;
import dev.hookline.registry.batch.BatchDtos.FactEditRequest;
import dev.hookline.registry.batch.BatchDtos.SubmitBatchRequest;
import dev.hookline.registry.batch.BatchService;
import dev.hookline.registry.batch.BatchStatus;
import dev.hookline.registry.batch.EditBatch;
import dev.hookline.registry.batch.EditBranch;
import dev.hookline.registry.batch.FactEdit;
import dev.hookline.registry.blob.BlobStore;
import dev.hookline.registry.blob.ManifestEntry;
import dev.hookline.registry.model.BaseModel;
import dev.hookline.registry.version.HookVersion;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Method, hyperparameter, vocabulary and conflict checks of a submitted batch. */
@ApplicationScoped
public class SubmissionChecks {

    private static final Logger LOG = Logger.getLogger(SubmissionChecks.class);
    private static final TypeReference<List<ManifestEntry>> ENTRIES = new TypeReference<>() {
    };

    @Inject
    BlobStore blobs;

    /** Parsed vocabularies by blob key (blobs are content-addressed, so never stale). */
    private final Map<String, TokenizerVocabulary> vocabularies = new ConcurrentHashMap<>();

    /**
     * Runs every check; answers, per edit of the request, the id of the earlier edit it
     * supersedes (null where none).
     *
     * @param method the batch's method (the one it names, else its branch's or the recommended one)
     * @param branch the branch the batch goes to (null when it is created by this submission)
     * @param forkVersionId the version a new branch forks from (null = base)
     */
    public List<Long> check(SubmitBatchRequest req, EditMethod method, BaseModel model, EditBranch branch,
            Long forkVersionId) {
        WorkerRegistry.checkSubmission(model.id, method, req.hyperparameters());
        checkVocabulary(req, model);
        return checkConflicts(req, branch, forkVersionId);
    }

    private void checkVocabulary(SubmitBatchRequest req, BaseModel model) {
        TokenizerVocabulary vocab = vocabulary(model);
        if (vocab == null || !vocab.checks()) {
            return;
        }
        List<Problem.FieldError> errors = new ArrayList<>();
        for (int i = 0; i < req.edits().size(); i++) {
            FactEditRequest e = req.edits().get(i);
            String f = "edits[" + i + "]";
            unknown(errors, vocab, e.subject(), f + ".subject");
            unknown(errors, vocab, e.prompt().replace("{}", " "), f + ".prompt");
            unknown(errors, vocab, e.targetNew(), f + ".targetNew");
            unknown(errors, vocab, e.targetTrue(), f + ".targetTrue");
        }
        if (!errors.isEmpty()) {
            String detail = errors.get(0).field() + ": " + errors.get(0).message()
                    + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more)" : "");
            throw new ApiProblem(422, "unknown-tokens", "Words the model cannot encode", detail
                    + "; model '" + model.name + "' has a word-level tokenizer, and an unknown word would be edited as "
                    + "its unknown token", errors);
        }
    }

    private static void unknown(List<Problem.FieldError> errors, TokenizerVocabulary vocab, String text, String field) {
        List<String> u = vocab.unknown(text);
        if (!u.isEmpty()) {
            errors.add(new Problem.FieldError(field, "not in the model's vocabulary: " + u));
        }
    }

    /** The model's tokenizer vocabulary, or null when it has no readable tokenizer.json. */
    TokenizerVocabulary vocabulary(BaseModel model) {
        ManifestEntry entry = Json.read(model.checkpointJson, ENTRIES).stream()
                .filter(e -> "tokenizer.json".equals(e.role())).findFirst().orElse(null);
        if (entry == null) {
            return null;
        }
        TokenizerVocabulary cached = vocabularies.get(entry.key());
        if (cached != null) {
            return cached;
        }
        try (InputStream in = blobs.open(entry.key())) {
            TokenizerVocabulary v = TokenizerVocabulary.read(in);
            vocabularies.put(entry.key(), v);
            return v;
        } catch (Exception e) {
            // not a tokenizer we can read (not JSON): the words cannot be checked; say so in the log
            LOG.warnf("model %d: tokenizer.json %s not readable as a HF tokenizer (%s); vocabulary not checked",
                    model.id, entry.key(), e.getMessage());
            TokenizerVocabulary none;
            try {
                none = TokenizerVocabulary.read(new java.io.ByteArrayInputStream("{}".getBytes()));
            } catch (java.io.IOException impossible) {
                throw new IllegalStateException(impossible);
            }
            vocabularies.put(entry.key(), none);
            return none;
        }
    }

    /** The identity of a fact: subject + relation when labelled, else subject + prompt. */
    static String factKey(String subject, String relation, String prompt) {
        return relation != null ? "relation\u0000" + subject.strip() + "\u0000" + relation
                : "prompt\u0000" + subject.strip() + "\u0000" + prompt.strip();
    }

    static String describe(String subject, String relation, String prompt) {
        return "subject '" + subject + "' " + (relation != null ? "relation " + relation : "prompt '" + prompt + "'");
    }

    private List<Long> checkConflicts(SubmitBatchRequest req, EditBranch branch, Long forkVersionId) {
        // within the batch: one fact, one edit
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < req.edits().size(); i++) {
            FactEditRequest e = req.edits().get(i);
            Integer j = seen.putIfAbsent(factKey(e.subject(), e.relation(), e.prompt()), i);
            if (j != null) {
                throw new ApiProblem(409, "fact-conflict", "Fact edited twice", "edits[" + i + "] edits the same fact ("
                        + describe(e.subject(), e.relation(), e.prompt()) + ") as edits[" + j
                        + "] of the same batch; keep one of them",
                        List.of(new Problem.FieldError("edits[" + i + "]", "same fact as edits[" + j + "]")));
            }
        }
        Map<String, FactEdit> earlier = earlierEdits(branch, forkVersionId);
        List<Long> supersedes = new ArrayList<>();
        List<Problem.FieldError> errors = new ArrayList<>();
        String first = null;
        for (int i = 0; i < req.edits().size(); i++) {
            FactEditRequest e = req.edits().get(i);
            FactEdit prior = earlier.get(factKey(e.subject(), e.relation(), e.prompt()));
            boolean superseding = Boolean.TRUE.equals(e.supersedes());
            Long replaced = null;
            if (prior != null && !prior.targetNew.equals(e.targetNew())) {
                if (superseding) {
                    replaced = prior.id;
                } else {
                    EditBatch pb = EditBatch.findById(prior.batchId);
                    String msg = describe(e.subject(), e.relation(), e.prompt()) + " was already edited to '"
                            + prior.targetNew + "' by fact edit " + prior.id + " (batch " + prior.batchId + ", edits["
                            + prior.ordinal + "], " + (pb == null ? "?" : pb.status.name()) + "); mark this edit "
                            + "\"supersedes\": true to replace it";
                    errors.add(new Problem.FieldError("edits[" + i + "]", msg));
                    if (first == null) {
                        first = "edits[" + i + "]: " + msg;
                    }
                }
            } else if (superseding) {
                errors.add(new Problem.FieldError("edits[" + i + "].supersedes", prior == null
                        ? "no earlier edit of this fact on the branch to supersede"
                        : "the earlier edit " + prior.id + " already has target '" + prior.targetNew + "'"));
                if (first == null) {
                    first = "edits[" + i + "].supersedes: " + errors.get(errors.size() - 1).message();
                }
            }
            supersedes.add(replaced);
        }
        if (!errors.isEmpty()) {
            throw new ApiProblem(409, "fact-conflict", "Conflicting fact edits", first
                    + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more)" : ""), errors);
        }
        return supersedes;
    }

    /**
     * The latest edit of every fact that the new batch would build on: the branch's batches that
     * are not CANCELLED, FAILED or REJECTED, and the batches of the fork version's lineage.
     */
    private static Map<String, FactEdit> earlierEdits(EditBranch branch, Long forkVersionId) {
        List<Long> batchIds = new ArrayList<>();
        Long fork = branch != null ? branch.forkVersionId : forkVersionId;
        if (fork != null) {
            HookVersion f = HookVersion.findById(fork);
            if (f != null) {
                for (HookVersion a : Ancestry.ancestors(f)) {
                    batchIds.add(a.batchId);
                }
                batchIds.add(f.batchId);
            }
        }
        if (branch != null) {
            for (EditBatch b : BatchService.chain(branch.id)) {
                HookVersion r = b.resultVersionId == null ? null : HookVersion.findById(b.resultVersionId);
                if (b.status != BatchStatus.CANCELLED && b.status != BatchStatus.FAILED
                        && b.status != BatchStatus.REJECTED && (r == null || r.state != HookVersion.State.BLOCKED)) {
                    batchIds.add(b.id);
                }
            }
        }
        Map<String, FactEdit> out = new LinkedHashMap<>();
        for (Long id : batchIds) { // oldest first, so later edits of a fact win
            for (FactEdit e : FactEdit.<FactEdit>list("batchId = ?1 order by ordinal", id)) {
                out.put(factKey(e.subject, e.relation, e.prompt), e);
            }
        }
        return out;
    }
}
