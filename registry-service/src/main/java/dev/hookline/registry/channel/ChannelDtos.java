package dev.hookline.registry.channel;

import java.time.Instant;
import java.util.List;

/** Request and response records of channels. */
public final class ChannelDtos {

    private ChannelDtos() {
    }

    /**
     * Point a channel at a VALIDATED version. {@code expectedVersionId}: the version the caller
     * believes is current (null/absent when creating the channel); a mismatch is a 409.
     */
    public record MoveRequest(Long versionId, Long expectedVersionId, String reason) {
    }

    /** Move back: to {@code toVersionId}, or (absent) to the version before the last move. */
    public record RollbackRequest(Long toVersionId, Long expectedVersionId, String reason) {
    }

    /** One history row. */
    public record MoveView(long id, Long fromVersionId, long toVersionId, String kind, String actor, String reason,
                           Instant movedAt) {
        static MoveView of(ChannelMove m) {
            return new MoveView(m.id, m.fromVersionId, m.toVersionId, m.kind, m.actor, m.reason, m.movedAt);
        }
    }

    /**
     * A channel, its current version and (on single reads) its history, newest first;
     * {@code health.blocked} is true while its version is REJECTED or BLOCKED.
     */
    public record ChannelView(long id, long modelId, String name, long versionId, int versionNumber,
                              String bundleDigest, Instant updatedAt, String updatedBy, long rowVersion,
                              List<MoveView> history, int requiredApprovals,
                              dev.hookline.registry.governance.GovernanceDtos.ChannelHealth health) {
    }

    /** What a channel pointed at at a given time (versionId null: the channel did not exist yet). */
    public record PointInTime(long modelId, String channel, Instant at, Long versionId, Integer versionNumber,
                              String bundleDigest, Instant since) {
    }
}
