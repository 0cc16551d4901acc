package dev.hookline.registry.version;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.api.Json;
import dev.hookline.registry.api.RequestValidator;
import dev.hookline.registry.auth.Principals;
import dev.hookline.registry.audit.AuditLog;
import dev.hookline.registry.batch.BatchStatus;
import dev.hookline.registry.batch.EditBatch;
import dev.hookline.registry.blob.BlobStore;
import dev.hookline.registry.blob.ManifestEntry;
import dev.hookline.registry.governance.GovernanceService;
import dev.hookline.registry.model.BaseModel;
import dev.hookline.registry.model.ModelService;
import dev.hookline.registry.version.VersionDtos.Manifest;
import dev.hookline.registry.version.VersionDtos.Resolution;
import dev.hookline.registry.version.VersionDtos.VersionView;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads hook versions, reviews them (four-eyes) and resolves them for serving. */
@ApplicationScoped
public class VersionService {

    private static final TypeReference<List<ManifestEntry>> ENTRIES = new TypeReference<>() {
    };

    @Inject
    AuditLog audit;

    @Inject
    BlobStore blobs;

    @Inject
    GovernanceService governance;

    @Transactional
    public VersionView get(long id) {
        return view(require(id));
    }

    @Transactional
    public List<VersionView> listByModel(long modelId) {
        ModelService.require(modelId);
        return HookVersion.<HookVersion>list("modelId = ?1 order by number", modelId).stream()
                .map(VersionService::view).toList();
    }

    /**
     * Validates or rejects a TEMPORARY version. Four-eyes: the submitter of the batch that
     * produced it may not review it (403).
     */
    @Transactional
    public VersionView review(long id, boolean validate, VersionDtos.ReviewRequest req, String reviewer) {
        if (req != null) {
            dev.hookline.registry.api.Check c = new dev.hookline.registry.api.Check();
            RequestValidator.text(c, req.comment(), "comment", RequestValidator.MAX_COMMENT);
            c.done();
        }
        HookVersion v = HookVersion.findById(id, LockModeType.PESSIMISTIC_WRITE);
        if (v == null) {
            throw ApiProblem.notFound("version", id);
        }
        EditBatch batch = EditBatch.findById(v.batchId, LockModeType.PESSIMISTIC_WRITE);
        // Normalised comparison: "Alice", "ALICE" and "alice" are one person.
        if (Principals.same(batch.submitter, reviewer)) {
            throw ApiProblem.forbidden("four-eyes", "four-eyes rule: '" + reviewer + "' submitted batch " + batch.id
                    + " and may not review version " + v.id + " computed from it; another reviewer must");
        }
        // a VALIDATED version may still be rejected (recalled, with a comment): its descendants
        // and the channels on them are then blocked like those of any rejected version
        boolean recall = !validate && v.state == HookVersion.State.VALIDATED;
        if (v.state != HookVersion.State.TEMPORARY && !recall) {
            throw ApiProblem.conflict("version " + id + " is already " + v.state
                    + (v.state == HookVersion.State.BLOCKED ? " (ancestor version " + v.blockedBy + " was rejected)" : ""));
        }
        if (recall && (req == null || req.comment() == null || req.comment().isBlank())) {
            throw ApiProblem.badRequest("rejecting a VALIDATED version (a recall) needs a comment", "comment");
        }
        if (validate) {
            v.gateOverride = governance.checkValidation(v, req == null ? null : req.override(),
                    req == null ? null : req.overrideReason());
        }
        Instant now = Instant.now();
        v.state = validate ? HookVersion.State.VALIDATED : HookVersion.State.REJECTED;
        v.reviewer = reviewer;
        v.reviewComment = req == null ? null : req.comment();
        v.reviewedAt = now;
        batch.status = validate ? BatchStatus.VALIDATED : BatchStatus.REJECTED;
        batch.updatedAt = now;
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("state", v.state.name());
        payload.put("batchId", batch.id);
        payload.put("bundleDigest", v.bundleDigest);
        payload.put("comment", v.reviewComment == null ? "" : v.reviewComment);
        if (v.gateOverride != null) {
            payload.put("gateOverride", v.gateOverride);
        }
        if (recall) {
            payload.put("recalled", true);
        }
        audit.append(reviewer, validate ? "version.validated" : "version.rejected", "version", v.id, payload);
        if (!validate) {
            governance.afterRejection(v, reviewer);
        }
        return view(v);
    }

    /** Resolution of an exact VALIDATED version (422 for a version that is not validated). */
    @Transactional
    public Resolution resolve(long id, String channel) {
        HookVersion v = require(id);
        if (v.state != HookVersion.State.VALIDATED) {
            throw ApiProblem.unprocessable("version " + id + " is " + v.state + "; only VALIDATED versions are served");
        }
        return resolution(v, channel);
    }

    /** Builds the resolution (presigned URLs valid for hookline.s3.presign-seconds). */
    public Resolution resolution(HookVersion v, String channel) {
        BaseModel model = ModelService.require(v.modelId);
        Manifest manifest = VersionDtos.manifest(v);
        List<ManifestEntry> base = Json.read(model.checkpointJson, ENTRIES);
        return new Resolution(model.id, model.name, channel, v.id, v.number, v.bundleDigest, v.state, manifest, base,
                manifest.serving().stream().map(blobs::presign).toList(),
                base.stream().map(blobs::presign).toList(), Instant.now());
    }

    /** The version or a 404. */
    public static HookVersion require(long id) {
        HookVersion v = HookVersion.findById(id);
        if (v == null) {
            throw ApiProblem.notFound("version", id);
        }
        return v;
    }

    /** A version's view. */
    public static VersionView view(HookVersion v) {
        EditBatch batch = EditBatch.findById(v.batchId);
        int parentNumber = 0;
        if (v.parentVersionId != null) {
            HookVersion parent = HookVersion.findById(v.parentVersionId);
            parentNumber = parent.number;
        }
        return new VersionView(v.id, v.modelId, v.number, v.parentVersionId, parentNumber, v.batchId, v.method,
                Json.tree(v.hyperparametersJson), Json.read(v.alphaJson, VersionDtos.ALPHA), VersionDtos.manifest(v),
                v.bundleDigest, Json.tree(v.metricsJson), v.editsCumulative, v.state,
                batch == null ? null : batch.submitter, v.reviewer, v.reviewComment, v.reviewedAt, v.createdAt,
                v.createdBy, v.blockedBy, GovernanceService.gateCheck(v));
    }
}
