package dev.hookline.registry.job;

import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.api.Check;
import dev.hookline.registry.api.Digests;
import dev.hookline.registry.api.Json;
import dev.hookline.registry.audit.AuditLog;
import dev.hookline.registry.batch.BatchService;
import dev.hookline.registry.batch.BatchStatus;
import dev.hookline.registry.batch.EditBatch;
import dev.hookline.registry.batch.EditBranch;
import dev.hookline.registry.batch.FactEdit;
import dev.hookline.registry.blob.BlobLocks;
import dev.hookline.registry.blob.BlobStore;
import dev.hookline.registry.api.RequestValidator;
import dev.hookline.registry.auth.Caller;
import dev.hookline.registry.auth.Principals;
import dev.hookline.registry.job.JobDtos.CompleteRequest;
import dev.hookline.registry.job.JobDtos.JobView;
import dev.hookline.registry.model.BaseModel;
import dev.hookline.registry.version.HookVersion;
import dev.hookline.registry.version.VersionDtos;
import dev.hookline.registry.version.VersionService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Job leasing for editor workers. A lease is taken with {@code SELECT ... FOR UPDATE SKIP LOCKED}
 * so concurrent workers never block on or double-take a job; a lease expires unless heartbeats
 * extend it, and an expired job is leased again with a new token (attempt + 1). Every call of a
 * holder carries its token: a stale holder gets 409. Batches of one branch are leased strictly
 * in position order: a batch is leasable only when no earlier batch of its branch is pending.
 */
@ApplicationScoped
public class JobService {

    private static final String LEASABLE = """
            SELECT j.id FROM edit_job j JOIN edit_batch b ON b.id = j.batch_id
            WHERE (j.status = 'QUEUED' OR (j.status = 'LEASED' AND j.lease_expires_at < ?1))
              AND NOT EXISTS (SELECT 1 FROM edit_batch p
                              WHERE p.branch_id = b.branch_id AND p.position < b.position
                                AND p.status IN ('SUBMITTED', 'QUEUED', 'RUNNING'))
              %s
            ORDER BY b.id
            LIMIT 1
            FOR UPDATE OF j SKIP LOCKED
            """;

    @Inject
    EntityManager em;

    @Inject
    AuditLog audit;

    @Inject
    BlobStore blobs;

    @Inject
    Caller caller;

    @ConfigProperty(name = "hookline.jobs.lease-seconds", defaultValue = "60")
    int defaultLeaseSeconds;

    @ConfigProperty(name = "hookline.jobs.max-lease-seconds", defaultValue = "3600")
    int maxLeaseSeconds;

    /** Leases the oldest leasable job, or empty when none is. */
    @Transactional
    public Optional<JobDtos.Lease> lease(JobDtos.LeaseRequest req, String principal) {
        if (req != null) {
            Check c = new Check();
            RequestValidator.line(c, req.worker(), "worker", RequestValidator.MAX_ADDRESS);
            c.done();
        }
        int seconds = leaseSeconds(req == null ? null : req.leaseSeconds());
        Instant now = Instant.now();
        Long modelId = req == null ? null : req.modelId();
        var query = em.createNativeQuery(LEASABLE.formatted(modelId == null ? "" : "AND b.model_id = ?2"))
                .setParameter(1, now);
        if (modelId != null) {
            query.setParameter(2, modelId);
        }
        @SuppressWarnings("unchecked")
        List<Number> ids = query.getResultList();
        if (ids.isEmpty()) {
            return Optional.empty();
        }
        EditJob job = EditJob.findById(ids.get(0).longValue());
        em.refresh(job);
        EditBatch batch = EditBatch.findById(job.batchId, LockModeType.PESSIMISTIC_WRITE);
        EditBranch branch = EditBranch.findById(batch.branchId);
        List<EditBatch> before = BatchService.chain(branch.id).stream().filter(b -> b.position < batch.position).toList();
        String previousHolder = job.leasedBy;
        job.status = EditJob.Status.LEASED;
        job.attempt += 1;
        job.leaseToken = UUID.randomUUID();
        String worker = req == null || req.worker() == null || req.worker().isBlank() ? "" : req.worker().trim();
        job.leasedBy = worker.isEmpty() ? principal : principal + "/" + worker;
        job.leasedAt = now;
        job.leasePrincipal = Principals.key(principal);
        job.leaseTokenId = caller.tokenId();
        job.heartbeatAt = now;
        job.leaseExpiresAt = now.plusSeconds(seconds);
        batch.parentVersionId = BatchService.tip(branch, before);
        batch.status = BatchStatus.RUNNING;
        batch.phase = "leased";
        batch.percent = 0;
        batch.updatedAt = now;
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("batchId", batch.id);
        payload.put("attempt", job.attempt);
        payload.put("leasedBy", job.leasedBy);
        payload.put("leaseExpiresAt", job.leaseExpiresAt.toString());
        payload.put("parentVersionId", batch.parentVersionId == null ? 0 : batch.parentVersionId);
        if (previousHolder != null) {
            payload.put("takenOverFrom", previousHolder);
        }
        audit.append(principal, "job.leased", "job", job.id, payload);
        return Optional.of(new JobDtos.Lease(view(job, batch), job.leaseToken.toString(), job.leaseExpiresAt,
                batch.parentVersionId, BatchService.view(batch, true)));
    }

    /** Extends a live lease and records progress; 409 for a stale or cancelled holder. */
    @Transactional
    public JobDtos.HeartbeatAck heartbeat(long id, JobDtos.HeartbeatRequest req, String principal) {
        Check.body(req);
        Check c = new Check();
        c.notBlank(req.leaseToken(), "leaseToken");
        c.that(req.percent() == null || (req.percent() >= 0 && req.percent() <= 100), "percent", "must be in [0, 100]");
        RequestValidator.line(c, req.phase(), "phase", 200);
        c.done();
        EditJob job = lockJob(id);
        Instant now = Instant.now();
        requireLiveLease(job, req.leaseToken(), now);
        requireHolder(job, principal);
        job.heartbeatAt = now;
        job.leaseExpiresAt = now.plusSeconds(leaseSeconds(req.leaseSeconds()));
        EditBatch batch = EditBatch.findById(job.batchId);
        if (req.phase() != null) {
            batch.phase = req.phase();
        }
        if (req.percent() != null) {
            batch.percent = req.percent();
        }
        batch.updatedAt = now;
        return new JobDtos.HeartbeatAck(job.id, job.attempt, job.leaseExpiresAt);
    }

    /** Outcome of a completion: the version, and whether this call created it. */
    public record Completion(VersionDtos.VersionView version, boolean created) {
    }

    /**
     * Completes a job: checks every manifest blob in the object store (422 naming the missing
     * digest), then records the TEMPORARY version. Idempotent per lease token.
     */
    @Transactional
    public Completion complete(long id, CompleteRequest req, String principal) {
        Check.body(req);
        Check c = new Check();
        c.notBlank(req.leaseToken(), "leaseToken");
        c.present(req.manifest(), "manifest");
        if (req.manifest() != null) {
            c.that(req.manifest().serving() != null && !req.manifest().serving().isEmpty(), "manifest.serving",
                    "must list the blobs a serving node needs");
        }
        c.that(req.metrics() == null || req.metrics().isObject(), "metrics", "must be a JSON object");
        dev.hookline.registry.governance.Evidence.check(c, req.evidence());
        if (req.alpha() != null) {
            for (int i = 0; i < req.alpha().size(); i++) {
                VersionDtos.LayerAlpha a = req.alpha().get(i);
                String f = "alpha[" + i + "]";
                if (c.present(a, f)) {
                    c.that(a.layer() != null && a.layer() >= 0, f + ".layer", "must be a layer index >= 0");
                    c.that(a.before() != null && Double.isFinite(a.before()), f + ".before", "must be a finite number");
                    c.that(a.after() != null && Double.isFinite(a.after()), f + ".after", "must be a finite number");
                }
            }
        }
        checkEntries(c, req.manifest() == null ? null : req.manifest().serving(), "manifest.serving");
        checkEntries(c, req.manifest() == null ? null : req.manifest().editing(), "manifest.editing");
        c.done();
        EditJob job = lockJob(id);
        UUID token = parseToken(req.leaseToken());
        if (job.status == EditJob.Status.DONE && token.equals(job.leaseToken)) {
            requireHolder(job, principal);
            EditBatch batch = EditBatch.findById(job.batchId);
            HookVersion recorded = VersionService.require(batch.resultVersionId);
            if (!sameCompletion(recorded, req)) {
                throw ApiProblem.conflict("job " + job.id + " was completed with another manifest, alpha or metrics "
                        + "(version " + recorded.id + ", " + recorded.bundleDigest + "); a retry must repeat the "
                        + "recorded completion", "manifest");
            }
            return new Completion(VersionService.view(recorded), false);
        }
        Instant now = Instant.now();
        requireLiveLease(job, req.leaseToken(), now);
        requireHolder(job, principal);
        // Lock every blob key until commit: a concurrent DELETE of one of them waits for this
        // transaction and then sees the version's reference (BlobGcService.delete).
        List<String> keys = new java.util.ArrayList<>();
        req.manifest().serving().forEach(e -> keys.add(e == null ? null : e.key()));
        req.manifest().editing().forEach(e -> keys.add(e == null ? null : e.key()));
        BlobLocks.lock(em, keys);
        blobs.requireAll(req.manifest().serving(), "manifest.serving");
        blobs.requireAll(req.manifest().editing(), "manifest.editing");

        EditBatch batch = EditBatch.findById(job.batchId, LockModeType.PESSIMISTIC_WRITE);
        // One version number at a time per model.
        BaseModel model = BaseModel.findById(batch.modelId, LockModeType.PESSIMISTIC_WRITE);
        Integer last = em.createQuery("select max(v.number) from HookVersion v where v.modelId = :m", Integer.class)
                .setParameter("m", model.id).getSingleResult();
        int parentEdits = 0;
        if (batch.parentVersionId != null) {
            parentEdits = VersionService.require(batch.parentVersionId).editsCumulative;
        }
        VersionDtos.Manifest manifest = req.manifest();
        String manifestJson = Json.canonical(manifest);
        HookVersion v = new HookVersion();
        v.modelId = model.id;
        v.number = last == null ? 1 : last + 1;
        v.parentVersionId = batch.parentVersionId;
        v.batchId = batch.id;
        v.method = batch.method.wireName();
        v.hyperparametersJson = batch.hyperparametersJson;
        v.alphaJson = Json.canonical(req.alpha() == null ? List.of() : req.alpha());
        v.manifestJson = manifestJson;
        v.bundleDigest = "sha256:" + Digests.sha256Hex(manifestJson);
        v.metricsJson = Json.canonical(req.metrics() == null ? Map.of() : req.metrics());
        v.evidenceJson = req.evidence() == null || req.evidence().isNull() ? null : Json.canonical(req.evidence());
        v.editsCumulative = parentEdits + (int) FactEdit.count("batchId", batch.id);
        v.state = HookVersion.State.TEMPORARY;
        v.createdAt = now;
        v.createdBy = job.leasedBy;
        v.persist();
        job.status = EditJob.Status.DONE;
        batch.status = BatchStatus.COMPUTED;
        batch.resultVersionId = v.id;
        batch.phase = "done";
        batch.percent = 100;
        batch.updatedAt = now;
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("jobId", job.id);
        payload.put("batchId", batch.id);
        payload.put("attempt", job.attempt);
        payload.put("number", v.number);
        payload.put("parentVersionId", v.parentVersionId == null ? 0 : v.parentVersionId);
        payload.put("bundleDigest", v.bundleDigest);
        payload.put("editsCumulative", v.editsCumulative);
        audit.append(principal, "version.created", "version", v.id, payload);
        return new Completion(VersionService.view(v), true);
    }

    /** The holder gives up: the batch becomes FAILED with the error text. */
    @Transactional
    public JobView fail(long id, JobDtos.FailRequest req, String principal) {
        Check.body(req);
        Check c = new Check();
        c.notBlank(req.leaseToken(), "leaseToken");
        c.notBlank(req.error(), "error");
        RequestValidator.text(c, req.error(), "error", RequestValidator.MAX_ERROR);
        c.done();
        EditJob job = lockJob(id);
        Instant now = Instant.now();
        requireLiveLease(job, req.leaseToken(), now);
        requireHolder(job, principal);
        EditBatch batch = EditBatch.findById(job.batchId, LockModeType.PESSIMISTIC_WRITE);
        job.status = EditJob.Status.FAILED;
        batch.status = BatchStatus.FAILED;
        batch.error = req.error().length() > 8000 ? req.error().substring(0, 8000) : req.error();
        batch.updatedAt = now;
        audit.append(principal, "job.failed", "job", job.id,
                Map.of("batchId", batch.id, "attempt", job.attempt, "error", batch.error));
        return view(job, batch);
    }

    /**
     * The holder returns its live lease: the job is QUEUED again (the attempt count stays, the
     * token is void, so the old holder's later calls get 409) and its batch waits in the queue.
     */
    @Transactional
    public JobView release(long id, JobDtos.ReleaseRequest req, String principal) {
        Check.body(req);
        Check c = new Check();
        c.notBlank(req.leaseToken(), "leaseToken");
        c.done();
        EditJob job = lockJob(id);
        Instant now = Instant.now();
        requireLiveLease(job, req.leaseToken(), now);
        requireHolder(job, principal);
        EditBatch batch = EditBatch.findById(job.batchId, LockModeType.PESSIMISTIC_WRITE);
        String holder = job.leasedBy;
        job.status = EditJob.Status.QUEUED;
        job.leaseToken = null;
        job.leaseExpiresAt = null;
        batch.status = BatchStatus.QUEUED;
        batch.phase = "released";
        batch.percent = 0;
        batch.updatedAt = now;
        audit.append(principal, "job.released", "job", job.id,
                Map.of("batchId", batch.id, "attempt", job.attempt, "releasedBy", holder == null ? "" : holder));
        return view(job, batch);
    }

    /**
     * Releases every live lease taken with token {@code tokenId} (the token was revoked): the jobs
     * are QUEUED again at once instead of waiting for their leases to expire, and the old lease
     * tokens are void (the holder gets 409).
     */
    @Transactional
    public int releaseLeasesOf(long tokenId, String actor) {
        List<EditJob> held = EditJob.<EditJob>find("leaseTokenId = ?1 and status = ?2", tokenId, EditJob.Status.LEASED)
                .withLock(LockModeType.PESSIMISTIC_WRITE).list();
        Instant now = Instant.now();
        for (EditJob job : held) {
            EditBatch batch = EditBatch.findById(job.batchId, LockModeType.PESSIMISTIC_WRITE);
            String holder = job.leasedBy;
            job.status = EditJob.Status.QUEUED;
            job.leaseToken = null;
            job.leaseExpiresAt = null;
            batch.status = BatchStatus.QUEUED;
            batch.phase = "released";
            batch.percent = 0;
            batch.updatedAt = now;
            audit.append(actor, "job.released", "job", job.id, Map.of("batchId", batch.id, "attempt", job.attempt,
                    "releasedBy", holder == null ? "" : holder, "reason", "token " + tokenId + " revoked"));
        }
        return held.size();
    }

    @Transactional
    public JobView get(long id) {
        EditJob job = EditJob.findById(id);
        if (job == null) {
            throw ApiProblem.notFound("job", id);
        }
        return view(job, EditBatch.findById(job.batchId));
    }

    @Transactional
    public List<JobView> list(EditJob.Status status, int limit) {
        List<EditJob> jobs = status == null ? EditJob.<EditJob>find("order by id desc").page(0, limit).list()
                : EditJob.<EditJob>find("status = ?1 order by id desc", status).page(0, limit).list();
        return jobs.stream().map(j -> view(j, EditBatch.findById(j.batchId))).toList();
    }

    private EditJob lockJob(long id) {
        EditJob job = EditJob.findById(id, LockModeType.PESSIMISTIC_WRITE);
        if (job == null) {
            throw ApiProblem.notFound("job", id);
        }
        return job;
    }

    /** 403 unless the caller is the principal that took the lease (compared normalised). */
    private static void requireHolder(EditJob job, String principal) {
        if (job.leasePrincipal != null && !job.leasePrincipal.equals(Principals.key(principal))) {
            throw ApiProblem.forbidden("not-lease-holder", "job " + job.id + " is leased by '" + job.leasedBy
                    + "'; only that principal may heartbeat, complete, fail or release it");
        }
    }

    /** Whether a retried completion repeats what the recorded version holds. */
    private static boolean sameCompletion(HookVersion v, CompleteRequest req) {
        String alpha = Json.canonical(req.alpha() == null ? List.of() : req.alpha());
        String metrics = Json.canonical(req.metrics() == null ? Map.of() : req.metrics());
        return v.manifestJson.equals(Json.canonical(req.manifest())) && v.alphaJson.equals(alpha)
                && v.metricsJson.equals(metrics);
    }

    private static void checkEntries(Check c, List<dev.hookline.registry.blob.ManifestEntry> entries, String field) {
        if (entries == null) {
            return;
        }
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i) != null) {
                RequestValidator.line(c, entries.get(i).role(), field + "[" + i + "].role", 200);
            }
        }
    }

    private static UUID parseToken(String token) {
        try {
            return UUID.fromString(token.trim());
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest("leaseToken is not a lease token", "leaseToken");
        }
    }

    /** 409 unless {@code token} is the current, unexpired lease of a LEASED job. */
    private static void requireLiveLease(EditJob job, String token, Instant now) {
        UUID t = parseToken(token);
        if (job.status == EditJob.Status.CANCELLED) {
            throw ApiProblem.conflict("job " + job.id + " was cancelled", "leaseToken");
        }
        if (job.status == EditJob.Status.QUEUED) {
            throw ApiProblem.conflict("job " + job.id + " is queued, not leased by this token (a released lease is "
                    + "void)", "leaseToken");
        }
        if (!t.equals(job.leaseToken)) {
            throw ApiProblem.conflict("lease token of job " + job.id + " is not current: the lease expired and was "
                    + "taken over (now attempt " + job.attempt + ")", "leaseToken");
        }
        if (job.status != EditJob.Status.LEASED) {
            throw ApiProblem.conflict("job " + job.id + " is " + job.status + ", not leased", "leaseToken");
        }
        if (!job.leaseExpiresAt.isAfter(now)) {
            throw ApiProblem.conflict("lease of job " + job.id + " (attempt " + job.attempt + ") expired at "
                    + job.leaseExpiresAt, "leaseToken");
        }
    }

    private int leaseSeconds(Integer requested) {
        if (requested == null) {
            return defaultLeaseSeconds;
        }
        if (requested < 1 || requested > maxLeaseSeconds) {
            throw ApiProblem.badRequest("leaseSeconds must be in [1, " + maxLeaseSeconds + "]", "leaseSeconds");
        }
        return requested;
    }

    static JobView view(EditJob j, EditBatch b) {
        return new JobView(j.id, j.batchId, j.status.name(), j.attempt, j.leasedBy, j.leasedAt, j.leaseExpiresAt,
                j.heartbeatAt, b == null ? null : b.resultVersionId);
    }
}
