/*
 * Revert one batch, keep the later ones (issue 25). The registry cannot subtract a batch from a
 * hook state, so a revert is computed forward: a new branch forks from the reverted batch's
 * parent version and gets one batch that replays the edits of every later computed batch of the
 * branch (in order, the latest edit of a fact winning). A worker computes it like any batch and
 * the resulting version goes through review; the lineage tree shows it beside the original.
 */
package dev.hookline.registry.governance;

import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.api.Check;
import dev.hookline.registry.api.Json;
import dev.hookline.registry.audit.AuditLog;
import dev.hookline.registry.batch.BatchDtos;
import dev.hookline.registry.batch.BatchService;
import dev.hookline.registry.batch.BatchStatus;
import dev.hookline.registry.batch.EditBatch;
import dev.hookline.registry.batch.EditBranch;
import dev.hookline.registry.batch.FactEdit;
import dev.hookline.registry.job.EditJob;
import dev.hookline.registry.version.HookVersion;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Creates revert batches. */
@ApplicationScoped
public class RevertService {

    @Inject
    AuditLog audit;

    /** Body of a revert: why (required). */
    public record RevertRequest(String reason) {
    }

    @Transactional
    public BatchDtos.BatchView revert(long versionId, RevertRequest req, String actor) {
        Check.body(req);
        Check c = new Check();
        c.notBlank(req.reason(), "reason");
        c.done();
        HookVersion v = HookVersion.findById(versionId);
        if (v == null) {
            throw ApiProblem.notFound("version", versionId);
        }
        EditBatch reverted = EditBatch.findById(v.batchId);
        EditBranch branch = EditBranch.findById(reverted.branchId, LockModeType.PESSIMISTIC_WRITE);
        List<EditBatch> chain = BatchService.chain(branch.id);
        if (chain.stream().anyMatch(b -> b.status.pending())) {
            throw ApiProblem.conflict("branch '" + branch.name + "' has batches still pending; revert once they are computed");
        }
        // the later batches whose versions descend from v: what the revert keeps
        List<Long> below = Ancestry.descendants(v).stream().map(d -> d.id).toList();
        List<EditBatch> later = chain.stream().filter(b -> b.position > reverted.position && b.resultVersionId != null
                && below.contains(b.resultVersionId) && b.status != BatchStatus.REJECTED).toList();
        if (later.isEmpty()) {
            throw ApiProblem.conflict("batch " + reverted.id + " has no later computed batch on branch '" + branch.name
                    + "': without it the branch is its parent version "
                    + (v.parentVersionId == null ? "0 (the base model)" : String.valueOf(v.parentVersionId))
                    + "; release or extend that instead");
        }
        EditBatch first = later.get(0);
        for (EditBatch b : later) {
            if (b.method != first.method || !b.hyperparametersJson.equals(first.hyperparametersJson)
                    || !java.util.Objects.equals(defaults(b), defaults(first))) {
                throw ApiProblem.conflict("the later batches " + first.id + " and " + b.id + " use different methods or "
                        + "hyperparameters (or ran under different model defaults); one replay batch cannot reproduce both");
            }
        }
        String name = "revert-" + reverted.id;
        if (EditBranch.count("modelId = ?1 and name = ?2", v.modelId, name) > 0) {
            throw ApiProblem.conflict("batch " + reverted.id + " was already reverted (branch '" + name + "')");
        }
        Instant now = Instant.now();
        EditBranch nb = new EditBranch();
        nb.modelId = v.modelId;
        nb.name = name;
        nb.forkVersionId = v.parentVersionId;
        nb.createdAt = now;
        nb.persist();

        // the latest edit of each fact across the later batches, in their order
        Map<String, FactEdit> edits = new LinkedHashMap<>();
        List<Long> replayed = new ArrayList<>();
        for (EditBatch b : later) {
            replayed.add(b.id);
            for (FactEdit e : FactEdit.<FactEdit>list("batchId = ?1 order by ordinal", b.id)) {
                String key = SubmissionChecks.factKey(e.subject, e.relation, e.prompt);
                edits.remove(key);
                edits.put(key, e);
            }
        }
        EditBatch rb = new EditBatch();
        rb.modelId = v.modelId;
        rb.branchId = nb.id;
        rb.position = 1;
        rb.submitter = actor;
        rb.reason = req.reason().trim();
        rb.ticket = reverted.ticket;
        rb.method = first.method;
        rb.hyperparametersJson = first.hyperparametersJson;
        rb.modelDefaultsJson = first.modelDefaultsJson; // the replay runs under the defaults the batches ran under
        rb.status = BatchStatus.QUEUED;
        rb.createdAt = now;
        rb.updatedAt = now;
        rb.revertsBatchId = reverted.id;
        rb.replaysJson = Json.canonical(replayed);
        rb.persist();
        int ordinal = 0;
        for (FactEdit e : edits.values()) {
            FactEdit copy = new FactEdit();
            copy.batchId = rb.id;
            copy.ordinal = ordinal++;
            copy.subject = e.subject;
            copy.prompt = e.prompt;
            copy.targetNew = e.targetNew;
            copy.targetTrue = e.targetTrue;
            copy.paraphrasesJson = e.paraphrasesJson;
            copy.localityJson = e.localityJson;
            copy.relation = e.relation;
            copy.persist();
        }
        EditJob job = new EditJob();
        job.batchId = rb.id;
        job.status = EditJob.Status.QUEUED;
        job.attempt = 0;
        job.createdAt = now;
        job.persist();
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("revertsBatchId", reverted.id);
        payload.put("revertsVersionId", v.id);
        payload.put("branch", name);
        payload.put("forkVersionId", v.parentVersionId == null ? 0 : v.parentVersionId);
        payload.put("replays", replayed);
        payload.put("edits", edits.size());
        payload.put("reason", rb.reason);
        audit.append(actor, "batch.revert_submitted", "batch", rb.id, payload);
        return BatchService.view(rb, true);
    }

    /** A batch's model-defaults snapshot, {@code {}} for none. */
    private static String defaults(EditBatch b) {
        return b.modelDefaultsJson == null ? "{}" : b.modelDefaultsJson;
    }
}
