package dev.hookline.registry.version;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.registry.api.Json;
import dev.hookline.registry.blob.BlobStore;
import dev.hookline.registry.blob.ManifestEntry;

import java.time.Instant;
import java.util.List;

/** Request and response records of hook versions. */
public final class VersionDtos {

    private VersionDtos() {
    }

    /**
     * The blobs of a version: what a serving node needs (hook weights per layer, alpha) apart
     * from the state continued editing needs (cAccu per layer, ...).
     */
    public record Manifest(List<ManifestEntry> serving, List<ManifestEntry> editing) {
        public Manifest {
            serving = serving == null ? null : List.copyOf(serving);
            editing = editing == null ? List.of() : List.copyOf(editing);
        }
    }

    /** Alpha of one editing layer before and after the batch step. */
    public record LayerAlpha(Integer layer, Double before, Double after) {
    }

    /**
     * A reviewer's decision. {@code override} + {@code overrideReason}: validate below the
     * model's quality gate (recorded on the version and in the audit event).
     */
    public record ReviewRequest(String comment, Boolean override, String overrideReason) {
        /** A plain decision with a comment. */
        public ReviewRequest(String comment) {
            this(comment, null, null);
        }
    }

    /** A hook version as the API shows it. parentVersionId null = the base model (version 0). */
    public record VersionView(long id, long modelId, int number, Long parentVersionId, int parentNumber, long batchId,
                              String method, JsonNode hyperparameters, List<LayerAlpha> alpha, Manifest manifest,
                              String bundleDigest, JsonNode metrics, int editsCumulative, HookVersion.State state,
                              String submitter, String reviewer, String reviewComment, Instant reviewedAt,
                              Instant createdAt, String createdBy, Long blockedBy,
                              dev.hookline.registry.governance.GovernanceDtos.GateCheck gate) {
    }

    /**
     * What a serving node needs to load a version: its digest, manifest, and short-lived presigned
     * GET URLs for the serving blobs and the base checkpoint.
     */
    public record Resolution(long modelId, String modelName, String channel, long versionId, int number,
                             String bundleDigest, HookVersion.State state, Manifest manifest,
                             List<ManifestEntry> baseCheckpoint, List<BlobStore.SignedUrl> servingUrls,
                             List<BlobStore.SignedUrl> baseUrls, Instant resolvedAt) {
    }

    static final TypeReference<List<LayerAlpha>> ALPHA = new TypeReference<>() {
    };

    static Manifest manifest(HookVersion v) {
        return Json.read(v.manifestJson, new TypeReference<Manifest>() {
        });
    }
}
