/*
 * Presigned blob uploads (issue 26: blob bytes travel once, at object-store speed). The registry
 * hands a worker a short-lived PUT URL for a staging key of its own choosing, the worker sends the
 * bytes straight to the object store, and the registry then verifies them before they exist under
 * their content address:
 *
 *   offer     POST /api/blobs/sha256/<hex>/uploads {size}   -> URL for uploads/sha256/<hex>/<size>-<nonce>
 *   (client)  PUT <url>                                       -> the store; Content-Length and
 *                                                               Content-Type are signed, so a body of
 *                                                               another length is refused there
 *   complete  POST /api/blobs/sha256/<hex>/uploads/<id>       -> size check, read back + sha256,
 *                                                               server-side copy to sha256/<hex>
 *                                                               (only if the staging object still has
 *                                                               the ETag that was read), staging removed
 *
 * Why a staging key and a copy: only the registry ever writes sha256/<hex>. A URL for the final key
 * would let its holder overwrite a verified (and already referenced) blob until the URL expires,
 * and unverified bytes would sit under a key that HEAD, job completion and the streamed upload's
 * "already stored" shortcut all take as verified.
 *
 * Why the registry reads the object back: S3 can only check the body against a digest the client
 * declares, and not the one that matters here. The MinIO SDK (8.5.17) will not sign Content-MD5 into
 * a presigned URL (it is in its PRESIGN_IGNORED_HEADERS), and MD5 would not prove the sha256 key
 * anyway; x-amz-checksum-sha256 would, but S3Proxy 2.6.0 answers 501 NotImplemented to it. So the
 * completion costs one GET of the object and one sha256 pass on the registry, plus the store-side
 * copy (docs/BENCHMARKS.md has the figures).
 *
 * The upload id carries the declared size, so the registry keeps no state between the two calls;
 * the nonce (128 random bits) keeps ids unguessable. Staging objects nobody completed are swept
 * once they are older than hookline.blobs.staging-max-age-seconds.
 */
package dev.hookline.registry.blob;

import dev.hookline.registry.api.ApiProblem;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Offers, completes and aborts presigned blob uploads; sweeps abandoned staging objects. */
@ApplicationScoped
public class BlobUploads {

    private static final Logger LOG = Logger.getLogger(BlobUploads.class);

    /** Where presigned uploads land before they are verified: {@code uploads/sha256/<hex>/<id>}. */
    public static final String STAGING_PREFIX = "uploads/sha256/";
    /** An upload id: the declared size in bytes, a dash, 32 hex digits of randomness. */
    private static final Pattern UPLOAD_ID = Pattern.compile("(0|[1-9][0-9]{0,17})-([0-9a-f]{32})");
    /** Staging sweeps run at most this often (each lists the staging prefix). */
    private static final long SWEEP_EVERY_MS = 60_000;

    private final SecureRandom random = new SecureRandom();
    private final AtomicLong nextSweep = new AtomicLong();

    @Inject
    BlobStore store;

    @Inject
    BlobPublication publication;

    @Inject
    MeterRegistry metrics;

    /** Off: the offer never carries a URL and clients stream through PUT /api/blobs/... instead. */
    @ConfigProperty(name = "hookline.blobs.presigned-uploads", defaultValue = "true")
    boolean enabled;

    /** Largest blob offered a presigned URL: one S3 PUT takes at most 5 GiB; larger ones are streamed (multipart). */
    @ConfigProperty(name = "hookline.blobs.presigned-upload-max-bytes", defaultValue = "5368709120")
    long maxBytes;

    /**
     * Lifetime of an upload URL. The store checks it when the PUT starts, so it bounds how long a
     * URL can be used, not how long the transfer may take.
     */
    @ConfigProperty(name = "hookline.blobs.upload-url-seconds", defaultValue = "300")
    int urlSeconds;

    /** Staging objects older than this (since their PUT finished) are abandoned and removed. */
    @ConfigProperty(name = "hookline.blobs.staging-max-age-seconds", defaultValue = "3600")
    long stagingMaxAgeSeconds;

    /** Body of an offer: the blob's length in bytes. */
    public record OfferRequest(Long size) {
    }

    /**
     * A presigned upload: PUT the bytes to {@code url} with exactly {@code headers}, then POST
     * {@code complete} (no body).
     */
    public record Upload(String id, String method, String url, Map<String, String> headers, Instant expiresAt,
            String complete) {
    }

    /**
     * Answer of an offer: {@code stored} when the blob is already there (nothing to send); otherwise
     * an {@code upload}, or none with the {@code reason} to stream the bytes through the registry.
     */
    public record Offer(String key, long size, boolean stored, Upload upload, String reason) {
    }

    /** Offers a presigned upload of {@code size} bytes for {@code sha256/<hex>}. */
    public Offer offer(String hex, OfferRequest req) {
        String key = BlobStore.keyOf(hex, "hex");
        if (req == null || req.size() == null) {
            throw ApiProblem.badRequest("size is required: the blob's length in bytes", "size");
        }
        long size = req.size();
        if (size < 0) {
            throw ApiProblem.badRequest("size must be a length in bytes >= 0, got " + size, "size");
        }
        Optional<Long> stored = store.stat(key);
        if (stored.isPresent()) {
            if (stored.get() != size) {
                throw ApiProblem.unprocessable("blob " + key + " is stored with " + stored.get() + " bytes, not " + size
                        + ": the size does not belong to this digest", "size");
            }
            count("existing");
            return new Offer(key, size, true, null, null);
        }
        String stream = "PUT the bytes to /api/blobs/" + key;
        if (!enabled) {
            return new Offer(key, size, false, null, "presigned uploads are turned off on this registry "
                    + "(hookline.blobs.presigned-uploads): " + stream);
        }
        if (size > maxBytes) {
            return new Offer(key, size, false, null, "blobs over " + maxBytes + " bytes are not uploaded with one "
                    + "presigned PUT: " + stream + " (a multipart upload)");
        }
        sweepIfDue();
        byte[] nonce = new byte[16];
        random.nextBytes(nonce);
        String id = size + "-" + HexFormat.of().formatHex(nonce);
        BlobStore.SignedUrl url = store.presignPut(stagingKey(hex, id), size, urlSeconds);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", BlobStore.UPLOAD_CONTENT_TYPE);
        headers.put("Content-Length", Long.toString(size));
        return new Offer(key, size, false,
                new Upload(id, "PUT", url.url(), headers, url.expiresAt(), "/api/blobs/" + key + "/uploads/" + id), null);
    }

    /**
     * Verifies a presigned upload and stores it under its key: 201 {@code created} / 200 when the
     * key already held the blob (also when this upload was completed before). 404 when nothing was
     * uploaded under this id; 422 when the object's size or sha256 is wrong (the object is removed);
     * 409 when it was replaced while it was being verified (removed too).
     */
    public BlobStore.Stored complete(String hex, String uploadId) {
        String key = BlobStore.keyOf(hex, "hex");
        long declared = declaredSize(uploadId);
        String staging = stagingKey(hex, uploadId);
        Optional<BlobStore.StoredBlob> uploaded = store.statBlob(staging);
        if (uploaded.isEmpty()) {
            Optional<Long> existing = store.stat(key);
            if (existing.isPresent() && existing.get() == declared) {
                return new BlobStore.Stored(key, declared, false); // a retried completion
            }
            throw new ApiProblem(404, "not-found", "Not found", "no upload " + uploadId + " of " + key + " is in the "
                    + "object store: PUT the bytes to the upload's URL first (it expires; staging objects are swept "
                    + "after " + stagingMaxAgeSeconds + " s)", java.util.List.of());
        }
        if (uploaded.get().size() != declared) {
            throw refuse(staging, "size", "the uploaded object has " + uploaded.get().size() + " bytes, the upload was "
                    + "offered for " + declared + "; it was removed");
        }
        long started = System.nanoTime();
        BlobStore.Readback back;
        try {
            back = store.readBack(staging, declared);
        } catch (IllegalStateException e) {
            if (store.statBlob(staging).isEmpty()) {
                // Removed under us (the client aborted, or a parallel completion finished): its input, not our fault.
                throw ApiProblem.conflict("upload " + uploadId + " of " + key + " was removed while it was verified", "uploadId");
            }
            throw e;
        }
        metrics.timer("hookline.blob.upload.verify", "step", "readback")
                .record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
        if (back.size() != declared) {
            throw refuse(staging, "size", "the uploaded object changed to " + (back.size() > declared ? "more" : "fewer")
                    + " than " + declared + " bytes while it was verified; it was removed");
        }
        if (!hex.equals(back.hex())) {
            throw refuse(staging, "digest", "the uploaded bytes hash to sha256/" + back.hex() + ", not " + key
                    + "; the object was removed");
        }
        if (back.etag() == null) {
            throw new IllegalStateException("the object store sent no ETag for " + staging);
        }
        started = System.nanoTime();
        Boolean created = publication.underLock(key, declared, () -> {
            boolean existed = store.stat(key).isPresent();
            if (store.copyIfUnchanged(staging, key, back.etag())) {
                return !existed;
            }
            // The staging object changed or went away (a concurrent completion of the same upload
            // removed it): fine if the key already holds the blob, refused otherwise.
            return existed ? Boolean.FALSE : null;
        });
        metrics.timer("hookline.blob.upload.verify", "step", "copy")
                .record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
        if (created == null) {
            discard(staging);
            count("refused");
            throw ApiProblem.conflict("upload " + uploadId + " of " + key + " was replaced while it was verified; it was "
                    + "removed: upload again", "uploadId");
        }
        discard(staging);
        count(created ? "created" : "existing");
        return new BlobStore.Stored(key, declared, created);
    }

    /** Removes an upload's staging object, if any (idempotent). */
    public void abort(String hex, String uploadId) {
        BlobStore.keyOf(hex, "hex");
        declaredSize(uploadId);
        discard(stagingKey(hex, uploadId));
    }

    /** Removes staging objects last written before {@code cutoff}; answers how many. */
    public int sweep(Instant cutoff) {
        int removed = 0;
        for (BlobStore.StoredBlob b : store.listPrefix(STAGING_PREFIX)) {
            if (b.lastModified().isBefore(cutoff)) {
                discard(b.key());
                removed++;
            }
        }
        if (removed > 0) {
            LOG.infof("removed %d abandoned presigned-upload staging object(s) older than %s", removed, cutoff);
        }
        return removed;
    }

    private void sweepIfDue() {
        long now = System.currentTimeMillis();
        long due = nextSweep.get();
        if (now < due || !nextSweep.compareAndSet(due, now + SWEEP_EVERY_MS)) {
            return;
        }
        try {
            sweep(Instant.now().minusSeconds(stagingMaxAgeSeconds));
        } catch (RuntimeException e) {
            LOG.warnf("sweeping presigned-upload staging objects failed: %s", e.getMessage());
        }
    }

    private ApiProblem refuse(String staging, String field, String detail) {
        discard(staging);
        count("refused");
        return ApiProblem.unprocessable(detail, field);
    }

    private void discard(String staging) {
        try {
            store.delete(staging);
        } catch (RuntimeException e) {
            // The sweep removes it later; the answer to the client does not depend on it.
            LOG.warnf("could not remove staging object %s: %s", staging, e.getMessage());
        }
    }

    private void count(String outcome) {
        metrics.counter("hookline.blob.uploads", "path", "presigned", "outcome", outcome).increment();
    }

    /** The size an upload id declares; 400 for anything that is not an id this registry hands out. */
    static long declaredSize(String uploadId) {
        Matcher m = uploadId == null ? null : UPLOAD_ID.matcher(uploadId);
        if (m == null || !m.matches()) {
            throw ApiProblem.badRequest("an upload id is <size>-<32 lowercase hex>, as the offer answered; got '"
                    + uploadId + "'", "uploadId");
        }
        return Long.parseLong(m.group(1));
    }

    static String stagingKey(String hex, String uploadId) {
        return STAGING_PREFIX + hex + "/" + uploadId;
    }
}
