package dev.hookline.registry.node;

import java.time.Instant;
import java.util.List;

/** Request and response records of serving nodes. */
public final class NodeDtos {

    private NodeDtos() {
    }

    /** What a node reports about itself. */
    public enum NodeStatus { STARTING, LOADING, SERVING, FAILED, STOPPED }

    /** Register (or re-register, by name) a node. */
    public record RegisterRequest(String name, Long modelId, String channel, String address) {
    }

    /**
     * Heartbeat: the version and bundle digest loaded now, the status, and a message (e.g.
     * "verification failed for sha256/..."). A history row is kept whenever these change.
     */
    public record HeartbeatRequest(Long versionId, String digest, NodeStatus status, String message) {
    }

    /** A node and what it runs now. */
    public record NodeView(long id, String name, Long modelId, String channel, String address, Long loadedVersionId,
                           String loadedDigest, String status, String message, Instant registeredAt,
                           Instant lastSeenAt) {
        static NodeView of(ServingNode n) {
            return new NodeView(n.id, n.name, n.modelId, n.channel, n.address, n.loadedVersionId, n.loadedDigest,
                    n.status, n.message, n.registeredAt, n.lastSeenAt);
        }
    }

    /** One history row. */
    public record ReportView(long id, Instant reportedAt, Long versionId, String digest, String status,
                             String message) {
        static ReportView of(NodeReport r) {
            return new ReportView(r.id, r.reportedAt, r.loadedVersionId, r.loadedDigest, r.status, r.message);
        }
    }

    /** What a node ran at a time (report null: nothing reported yet then). */
    public record PointInTime(long nodeId, String name, Instant at, ReportView report) {
    }

    /** A node's history, newest first. */
    public record History(NodeView node, List<ReportView> reports) {
    }
}
