package dev.hookline.registry.job;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.registry.batch.BatchDtos;
import dev.hookline.registry.version.VersionDtos;

import java.time.Instant;
import java.util.List;

/** Request and response records of the worker job API. */
public final class JobDtos {

    private JobDtos() {
    }

    /**
     * Ask for a job. {@code modelId}: only jobs of this model (absent = any);
     * {@code leaseSeconds} defaults to hookline.jobs.lease-seconds.
     */
    public record LeaseRequest(String worker, Long modelId, Integer leaseSeconds) {
    }

    /** A heartbeat: proves the holder is alive, reports progress and extends the lease. */
    public record HeartbeatRequest(String leaseToken, String phase, Integer percent, Integer leaseSeconds) {
    }

    /**
     * Completion: the blobs (already uploaded), alpha schedule and metrics of the new version.
     * Retrying the same completion with the same lease token returns the same version.
     */
    public record CompleteRequest(String leaseToken, VersionDtos.Manifest manifest,
                                  List<VersionDtos.LayerAlpha> alpha, JsonNode metrics, JsonNode evidence) {
        /** A completion without per-fact evidence (older workers). */
        public CompleteRequest(String leaseToken, VersionDtos.Manifest manifest, List<VersionDtos.LayerAlpha> alpha,
                               JsonNode metrics) {
            this(leaseToken, manifest, alpha, metrics, null);
        }
    }

    /** The worker gives up on a job; the batch becomes FAILED with this error. */
    public record FailRequest(String leaseToken, String error) {
    }

    /** The holder gives a live lease back (graceful shutdown): the job is leasable again at once. */
    public record ReleaseRequest(String leaseToken) {
    }

    /** A job as the API shows it. */
    public record JobView(long id, long batchId, String status, int attempt, String leasedBy, Instant leasedAt,
                          Instant leaseExpiresAt, Instant heartbeatAt, Long resultVersionId) {
    }

    /** A granted lease: the token fences every later call for this attempt. */
    public record Lease(JobView job, String leaseToken, Instant leaseExpiresAt, Long parentVersionId,
                        BatchDtos.BatchView batch) {
    }

    /** Answer to a heartbeat. */
    public record HeartbeatAck(long jobId, int attempt, Instant leaseExpiresAt) {
    }
}
