package dev.hookline.registry.batch;

import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.api.Check;
import dev.hookline.registry.api.Json;
import dev.hookline.registry.api.RequestValidator;
import dev.hookline.registry.auth.Principals;
import dev.hookline.registry.audit.AuditLog;
import dev.hookline.registry.auth.Caller;
import dev.hookline.registry.auth.Role;
import dev.hookline.registry.batch.BatchDtos.BatchView;
import dev.hookline.registry.batch.BatchDtos.FactEditRequest;
import dev.hookline.registry.batch.BatchDtos.SubmitBatchRequest;
import dev.hookline.registry.governance.SubmissionChecks;
import dev.hookline.registry.job.EditJob;
import dev.hookline.registry.model.BaseModel;
import dev.hookline.registry.model.ModelService;
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
import java.util.regex.Pattern;

/** Submits, queues, lists and cancels edit batches; knows how a branch orders its batches. */
@ApplicationScoped
public class BatchService {

    private static final Pattern BRANCH = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    /** Upper bound on edits per batch; keeps one request's transaction reasonable. */
    public static final int MAX_EDITS = 10_000;

    @Inject
    AuditLog audit;

    @Inject
    SubmissionChecks checks;

    @Transactional
    public BatchView submit(SubmitBatchRequest req, String actor) {
        Check.body(req);
        Check c = new Check();
        c.present(req.modelId(), "modelId");
        String branchName = req.branch() == null ? "main" : req.branch();
        c.that(BRANCH.matcher(branchName).matches(), "branch", "must match " + BRANCH.pattern());
        c.that(req.hyperparameters() == null || req.hyperparameters().isObject(), "hyperparameters",
                "must be a JSON object");
        c.that(notBlank(req.reason()) || notBlank(req.ticket()), "reason", "a reason or a ticket is required");
        RequestValidator.text(c, req.reason(), "reason", RequestValidator.MAX_REASON);
        RequestValidator.line(c, req.ticket(), "ticket", RequestValidator.MAX_TICKET);
        if (c.that(req.edits() != null && !req.edits().isEmpty(), "edits", "at least one edit is required")) {
            c.that(req.edits().size() <= MAX_EDITS, "edits", "at most " + MAX_EDITS + " edits per batch");
            for (int i = 0; i < req.edits().size(); i++) {
                checkEdit(c, req.edits().get(i), "edits[" + i + "]");
            }
        }
        c.done();

        BaseModel model = BaseModel.findById(req.modelId());
        if (model == null) {
            throw ApiProblem.unprocessable("model " + req.modelId() + " does not exist", "modelId");
        }
        if (req.parentVersionId() != null) {
            HookVersion parent = HookVersion.findById(req.parentVersionId());
            if (parent == null || !parent.modelId.equals(model.id)) {
                throw ApiProblem.unprocessable("version " + req.parentVersionId() + " is not a version of model "
                        + model.id, "parentVersionId");
            }
        }
        Instant now = Instant.now();
        // Concurrent first submissions onto one new branch: exactly one INSERT creates it, the
        // others wait for that row (unique index) and then extend the branch like any later batch.
        int created = EditBranch.getEntityManager().createNativeQuery(
                "INSERT INTO edit_branch (model_id, name, fork_version_id, created_at) VALUES (?1, ?2, ?3, ?4) "
                        + "ON CONFLICT (model_id, name) DO NOTHING")
                .setParameter(1, model.id).setParameter(2, branchName)
                .setParameter(3, req.parentVersionId()).setParameter(4, now).executeUpdate();
        EditBranch branch = EditBranch.find("modelId = ?1 and name = ?2", model.id, branchName)
                .withLock(LockModeType.PESSIMISTIC_WRITE).firstResult();
        if (created == 0 && req.parentVersionId() != null) {
            List<EditBatch> chain = chain(branch.id);
            if (chain.stream().anyMatch(b -> b.status.pending())) {
                throw ApiProblem.conflict("branch '" + branchName + "' has batches still pending; omit parentVersionId "
                        + "to extend what they produce", "parentVersionId");
            }
            Long tip = tip(branch, chain);
            if (!req.parentVersionId().equals(tip)) {
                throw ApiProblem.conflict("branch '" + branchName + "' is at version " + (tip == null ? "0 (base)" : tip)
                        + ", not " + req.parentVersionId(), "parentVersionId");
            }
        }
        // No method named: the branch's own (its hook state continues only under the method that made it),
        // else the recommended one.
        EditMethod method = req.method() != null ? req.method() : branchMethod(branch);
        EditMethod continued = continuedMethod(branch);
        String refusal = continued == null ? null : method.cannotContinue(continued);
        if (refusal != null) {
            // The worker would refuse the job (a codebook's rows continue only under the method that made them; a
            // delta continues only under a method of its scope, editing state and sharding): refused here instead.
            throw ApiProblem.conflict("branch '" + branchName + "' continues " + continued.wireName() + "'s hook state;"
                    + " " + method.wireName() + " cannot continue it (" + refusal + "): name " + continued.wireName()
                    + " (or no method), or start a new branch", "method");
        }
        List<Long> supersedes = checks.check(req, method, model, branch, req.parentVersionId());
        Integer last = EditBatch.getEntityManager()
                .createQuery("select max(b.position) from EditBatch b where b.branchId = :branch", Integer.class)
                .setParameter("branch", branch.id).getSingleResult();

        EditBatch b = new EditBatch();
        b.modelId = model.id;
        b.branchId = branch.id;
        b.position = last == null ? 1 : last + 1;
        b.submitter = actor;
        b.reason = trimOrNull(req.reason());
        b.ticket = trimOrNull(req.ticket());
        b.method = method;
        b.hyperparametersJson = Json.canonical(req.hyperparameters() == null ? Map.of() : req.hyperparameters());
        b.modelDefaultsJson = ModelService.defaultsFor(model, method);
        b.status = BatchStatus.SUBMITTED;
        b.createdAt = now;
        b.updatedAt = now;
        b.persist();
        for (int i = 0; i < req.edits().size(); i++) {
            FactEditRequest r = req.edits().get(i);
            FactEdit e = new FactEdit();
            e.batchId = b.id;
            e.ordinal = i;
            e.subject = r.subject();
            e.prompt = r.prompt();
            e.targetNew = r.targetNew();
            e.targetTrue = r.targetTrue();
            e.paraphrasesJson = Json.canonical(r.paraphrases() == null ? List.of() : r.paraphrases());
            e.localityJson = Json.canonical(r.locality() == null ? List.of() : r.locality());
            e.relation = r.relation();
            e.supersedesEditId = supersedes.get(i);
            e.persist();
        }
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("modelId", model.id);
        payload.put("branch", branchName);
        payload.put("position", b.position);
        payload.put("method", b.method.wireName());
        payload.put("edits", req.edits().size());
        payload.put("reason", b.reason == null ? "" : b.reason);
        payload.put("ticket", b.ticket == null ? "" : b.ticket);
        long superseding = supersedes.stream().filter(x -> x != null).count();
        if (superseding > 0) {
            payload.put("supersedingEdits", superseding);
        }
        if (!Boolean.FALSE.equals(req.queue())) {
            enqueue(b, now);
        }
        payload.put("status", b.status.name());
        audit.append(actor, "batch.submitted", "batch", b.id, payload);
        return view(b, true);
    }

    /** Moves a SUBMITTED batch to QUEUED (by its submitter or an admin). */
    @Transactional
    public BatchView queue(long id, Caller caller) {
        EditBatch b = lock(id);
        requireOwnerOrAdmin(b, caller, "queue");
        if (b.status != BatchStatus.SUBMITTED) {
            throw ApiProblem.conflict("batch " + id + " is " + b.status + "; only a SUBMITTED batch can be queued");
        }
        enqueue(b, Instant.now());
        audit.append(caller.principal(), "batch.queued", "batch", b.id, Map.of("status", b.status.name()));
        return view(b, true);
    }

    private void enqueue(EditBatch b, Instant now) {
        b.status = BatchStatus.QUEUED;
        b.updatedAt = now;
        EditJob job = new EditJob();
        job.batchId = b.id;
        job.status = EditJob.Status.QUEUED;
        job.attempt = 0;
        job.createdAt = now;
        job.persist();
    }

    /** Cancels a batch that is not computed yet; a worker holding it learns at its next heartbeat (409). */
    @Transactional
    public BatchView cancel(long id, BatchDtos.CancelRequest req, Caller caller) {
        EditBatch b = lock(id);
        requireOwnerOrAdmin(b, caller, "cancel");
        if (!b.status.pending()) {
            throw ApiProblem.conflict("batch " + id + " is " + b.status + "; only a pending batch can be cancelled");
        }
        b.status = BatchStatus.CANCELLED;
        b.updatedAt = Instant.now();
        EditJob job = EditJob.find("batchId", b.id).withLock(LockModeType.PESSIMISTIC_WRITE).firstResult();
        if (job != null) {
            job.status = EditJob.Status.CANCELLED;
        }
        String reason = req == null || req.reason() == null ? "" : req.reason();
        Check rc = new Check();
        RequestValidator.text(rc, reason, "reason", RequestValidator.MAX_REASON);
        rc.done();
        audit.append(caller.principal(), "batch.cancelled", "batch", b.id, Map.of("reason", reason));
        return view(b, true);
    }

    @Transactional
    public BatchView get(long id) {
        EditBatch b = EditBatch.findById(id);
        if (b == null) {
            throw ApiProblem.notFound("batch", id);
        }
        return view(b, true);
    }

    @Transactional
    public List<BatchView> list(Long modelId, BatchStatus status, int limit) {
        StringBuilder q = new StringBuilder("1 = 1");
        Map<String, Object> params = new LinkedHashMap<>();
        if (modelId != null) {
            q.append(" and modelId = :modelId");
            params.put("modelId", modelId);
        }
        if (status != null) {
            q.append(" and status = :status");
            params.put("status", status);
        }
        q.append(" order by id desc");
        return EditBatch.<EditBatch>find(q.toString(), params).page(0, limit).list().stream()
                .map(b -> view(b, false)).toList();
    }

    /** All batches of a branch in order. */
    /**
     * The method of a batch that names none on {@code branch}: that of its newest batch that was not
     * FAILED, CANCELLED or REJECTED, else that of the version it forks from, else
     * {@link EditMethod#RECOMMENDED} (a new branch from the base model; label-free, docs/BENCHMARKS.md).
     */
    public static EditMethod branchMethod(EditBranch branch) {
        EditMethod continued = continuedMethod(branch);
        return continued != null ? continued : EditMethod.RECOMMENDED;
    }

    /**
     * The method whose hook state a new batch on {@code branch} continues: that of its newest batch that was not
     * FAILED, CANCELLED or REJECTED, else that of the version it forks from; null for a new branch from the base
     * model (nothing to continue).
     */
    public static EditMethod continuedMethod(EditBranch branch) {
        List<EditBatch> before = chain(branch.id);
        for (int i = before.size() - 1; i >= 0; i--) {
            BatchStatus s = before.get(i).status;
            if (s != BatchStatus.FAILED && s != BatchStatus.CANCELLED && s != BatchStatus.REJECTED) {
                return before.get(i).method;
            }
        }
        if (branch.forkVersionId != null) {
            HookVersion fork = HookVersion.findById(branch.forkVersionId);
            for (EditMethod m : EditMethod.values()) {
                if (fork != null && m.wireName().equals(fork.method)) {
                    return m;
                }
            }
        }
        return null;
    }

    public static List<EditBatch> chain(long branchId) {
        return EditBatch.list("branchId = ?1 order by position", branchId);
    }

    /**
     * The version a batch at the end of {@code before} extends: the newest result of a batch that
     * was not FAILED, CANCELLED or REJECTED, else the branch's fork version (null = base model).
     */
    public static Long tip(EditBranch branch, List<EditBatch> before) {
        for (int i = before.size() - 1; i >= 0; i--) {
            EditBatch p = before.get(i);
            if (p.resultVersionId != null && p.status != BatchStatus.REJECTED) {
                HookVersion r = HookVersion.findById(p.resultVersionId);
                // a BLOCKED result carries a rejected ancestor's facts: never extend it
                if (r == null || (r.state != HookVersion.State.BLOCKED && r.state != HookVersion.State.REJECTED)) {
                    return p.resultVersionId;
                }
            }
        }
        return branch.forkVersionId;
    }

    /** A batch's view. */
    public static BatchView view(EditBatch b, boolean withEdits) {
        EditBranch branch = EditBranch.findById(b.branchId);
        EditJob job = EditJob.find("batchId", b.id).firstResult();
        long count = FactEdit.count("batchId", b.id);
        List<BatchDtos.FactEditView> edits = withEdits
                ? FactEdit.<FactEdit>list("batchId = ?1 order by ordinal", b.id).stream()
                .map(BatchDtos.FactEditView::of).toList()
                : List.of();
        BatchDtos.JobInfo jobInfo = job == null ? null
                : new BatchDtos.JobInfo(job.id, job.status.name(), job.attempt, job.leasedBy, job.leaseExpiresAt);
        return new BatchView(b.id, b.modelId, branch.name, b.position, b.parentVersionId, b.submitter, b.reason,
                b.ticket, b.method, Json.tree(b.hyperparametersJson),
                Json.tree(b.modelDefaultsJson == null ? "{}" : b.modelDefaultsJson), b.status,
                new BatchDtos.Progress(b.phase, b.percent), b.error, b.resultVersionId, count, jobInfo,
                b.createdAt, b.updatedAt, edits, b.revertsBatchId,
                b.replaysJson == null ? null : Json.tree(b.replaysJson));
    }

    private static EditBatch lock(long id) {
        EditBatch b = EditBatch.findById(id, LockModeType.PESSIMISTIC_WRITE);
        if (b == null) {
            throw ApiProblem.notFound("batch", id);
        }
        return b;
    }

    private static void requireOwnerOrAdmin(EditBatch b, Caller caller, String what) {
        if (!caller.has(Role.ADMIN) && !Principals.same(b.submitter, caller.principal())) {
            throw ApiProblem.forbidden("not-own-batch", "only the submitter ('" + b.submitter + "') or an admin may "
                    + what + " batch " + b.id);
        }
    }

    private static void checkEdit(Check c, FactEditRequest e, String f) {
        if (!c.present(e, f)) {
            return;
        }
        c.notBlank(e.subject(), f + ".subject");
        RequestValidator.text(c, e.subject(), f + ".subject", RequestValidator.MAX_FACT);
        RequestValidator.text(c, e.targetNew(), f + ".targetNew", RequestValidator.MAX_FACT);
        RequestValidator.text(c, e.targetTrue(), f + ".targetTrue", RequestValidator.MAX_FACT);
        RequestValidator.line(c, e.relation(), f + ".relation", 100);
        if (c.notBlank(e.prompt(), f + ".prompt") && RequestValidator.text(c, e.prompt(), f + ".prompt",
                RequestValidator.MAX_PROMPT)) {
            int n = countPlaceholders(e.prompt());
            c.that(n == 1, f + ".prompt", "must contain exactly one {} for the subject, found " + n);
        }
        c.notBlank(e.targetNew(), f + ".targetNew");
        c.that(e.targetTrue() == null || !e.targetTrue().isBlank(), f + ".targetTrue", "must not be blank when given");
        c.that(e.relation() == null || (!e.relation().isBlank() && e.relation().length() <= 100
                && e.relation().equals(e.relation().strip())), f + ".relation",
                "must be a non-blank label of at most 100 characters without surrounding spaces when given");
        if (e.paraphrases() != null) {
            for (int i = 0; i < e.paraphrases().size(); i++) {
                c.notBlank(e.paraphrases().get(i), f + ".paraphrases[" + i + "]");
                RequestValidator.text(c, e.paraphrases().get(i), f + ".paraphrases[" + i + "]",
                        RequestValidator.MAX_PROMPT);
            }
        }
        if (e.locality() != null) {
            for (int i = 0; i < e.locality().size(); i++) {
                BatchDtos.LocalityPrompt p = e.locality().get(i);
                String pf = f + ".locality[" + i + "]";
                if (c.present(p, pf)) {
                    c.notBlank(p.prompt(), pf + ".prompt");
                    c.notBlank(p.expected(), pf + ".expected");
                    RequestValidator.text(c, p.prompt(), pf + ".prompt", RequestValidator.MAX_PROMPT);
                    RequestValidator.text(c, p.expected(), pf + ".expected", RequestValidator.MAX_FACT);
                }
            }
        }
    }

    static int countPlaceholders(String prompt) {
        int n = 0;
        for (int i = prompt.indexOf("{}"); i >= 0; i = prompt.indexOf("{}", i + 2)) {
            n++;
        }
        return n;
    }

    private static boolean notBlank(String s) {
        return s != null && !s.isBlank();
    }

    private static String trimOrNull(String s) {
        return notBlank(s) ? s.trim() : null;
    }
}
