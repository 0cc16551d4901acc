/* Request and response records of the governance API (issue 25). */
package dev.hookline.registry.governance;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.List;

/** Records of gates, approvals, channel health and worker registrations (never entities). */
public final class GovernanceDtos {

    private GovernanceDtos() {
    }

    /** A model's quality gate; null thresholds are not checked. */
    public record GateView(long modelId, Double minReliability, Double minGenerality, Double minLocality,
                           Double maxRegression, Instant updatedAt, String updatedBy) {
        static GateView of(QualityGate g) {
            return new GateView(g.modelId, g.minReliability, g.minGenerality, g.minLocality, g.maxRegression,
                    g.updatedAt, g.updatedBy);
        }
    }

    /** PUT body of a gate (every threshold in [0, 1] or null). */
    public record GateRequest(Double minReliability, Double minGenerality, Double minLocality, Double maxRegression,
                              String reason) {
    }

    /** One threshold a version misses: the metric, its value (null = not reported) and the bound. */
    public record GateFailure(String metric, Double value, String bound, double threshold) {
    }

    /** The gate's verdict on one version. */
    public record GateCheck(boolean passed, List<GateFailure> failures, String override) {
    }

    /**
     * How a channel stands: {@code blocked} when its version is REJECTED or BLOCKED (it was pinned
     * before its lineage was rejected); {@code suggestedVersionId} is the nearest servable version
     * on the same lineage (null when none).
     */
    public record ChannelHealth(boolean blocked, String versionState, Instant blockedSince, String message,
                                Long suggestedVersionId, Integer suggestedVersionNumber) {
    }

    /** PUT body of a channel's release policy (ADMIN). */
    public record PolicyRequest(Integer requiredApprovals, String reason) {
    }

    /** POST body of a release approval (RELEASER). */
    public record ApprovalRequest(Long versionId, String comment) {
    }

    /** An approval as shown. */
    public record ApprovalView(long id, long channelId, long versionId, String approver, String comment,
                               Instant approvedAt) {
        static ApprovalView of(ReleaseApproval a) {
            return new ApprovalView(a.id, a.channelId, a.versionId, a.approver, a.comment, a.approvedAt);
        }
    }

    /** A channel's release policy and the approvals recorded for its candidate versions. */
    public record PolicyView(long channelId, String channel, int requiredApprovals, List<ApprovalView> approvals) {
    }

    /**
     * A worker's advertisement: {@code methods} maps a method's wire name to
     * {@code {"hyperparameters": {"<name>": {"type": "integer|number|boolean|string|integer-array"}}}}; an
     * integer-array may also carry {@code "maxItems": n} (codebook-nearest's and codebook-subject's {@code layers}: 1).
     */
    public record WorkerRegistrationRequest(String name, Long modelId, JsonNode methods) {
    }

    /** A registered worker ({@code modelId} null: it runs batches of any model). */
    public record WorkerView(String name, Long modelId, JsonNode methods, String registeredBy, Instant registeredAt) {
        static WorkerView of(WorkerRegistration w) {
            return new WorkerView(w.name, w.modelId, dev.hookline.registry.api.Json.tree(w.methodsJson),
                    w.registeredBy, w.registeredAt);
        }
    }

    /** A rollback or move preview: current -> target of a channel. */
    public record ReleasePreview(String channel, Long currentVersionId, Integer currentNumber, Long targetVersionId,
                                 Integer targetNumber, String refusal) {
    }
}
