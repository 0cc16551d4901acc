package dev.hookline.registry.blob;

import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.api.Check;
import dev.hookline.registry.api.ClientAbortException;
import dev.hookline.registry.api.Digests;
import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.errors.ErrorResponseException;
import io.minio.http.Method;
import io.minio.messages.Item;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Content-addressed blobs in one S3 bucket under {@code sha256/<hex>} keys, through the MinIO SDK.
 * Uploads are hashed on the way in and refused (422) when the bytes do not match their key;
 * uploading an existing digest again is a no-op. Presigned uploads ({@link BlobUploads}) land under
 * {@code uploads/...} staging keys, which are never blobs: only the registry writes {@code sha256/}.
 * The step that makes a key visible runs under the key's advisory lock ({@link BlobPublication}),
 * as a deletion does.
 */
@ApplicationScoped
public class BlobStore {

    private static final Logger LOG = Logger.getLogger(BlobStore.class);

    @Inject
    S3Config config;

    @Inject
    BlobPublication publication;

    private MinioClient client;
    /** The same store through the asynchronous client, for multipart uploads part by part. */
    private io.minio.MinioAsyncClient async;
    private MinioClient presigner;
    /** Parts of streamed uploads go out through presigned UploadPart URLs (see {@link #sendPart}). */
    private final java.net.http.HttpClient parts = java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_1_1).connectTimeout(java.time.Duration.ofSeconds(10)).build();
    private volatile boolean bucketReady;

    /** Outcome of an upload. */
    public record Stored(String key, long size, boolean created) {
    }

    /** A stored object as a listing shows it (for garbage collection). */
    public record StoredBlob(String key, long size, Instant lastModified) {
    }

    /** A presigned download. */
    public record SignedUrl(String role, String key, long size, String url, Instant expiresAt) {
    }

    /**
     * What reading an object back found: the sha256 of its bytes, how many there were (counting
     * stops one past {@code limit}), and the ETag of the very response that carried them.
     */
    public record Readback(String hex, long size, String etag) {
    }

    @PostConstruct
    void init() {
        client = MinioClient.builder().endpoint(config.endpoint()).region(config.region())
                .credentials(config.accessKey(), config.secretKey()).build();
        async = io.minio.MinioAsyncClient.builder().endpoint(config.endpoint()).region(config.region())
                .credentials(config.accessKey(), config.secretKey()).build();
        presigner = MinioClient.builder().endpoint(config.publicEndpoint().orElse(config.endpoint()))
                .region(config.region()).credentials(config.accessKey(), config.secretKey()).build();
    }

    /** Creates the bucket when missing; true when the store answers. */
    public boolean ready() {
        try {
            ensureBucket();
            return client.bucketExists(BucketExistsArgs.builder().bucket(config.bucket()).build());
        } catch (Exception e) {
            LOG.debugf(e, "object store not ready");
            return false;
        }
    }

    private void ensureBucket() throws Exception {
        if (bucketReady) {
            return;
        }
        synchronized (this) {
            if (!client.bucketExists(BucketExistsArgs.builder().bucket(config.bucket()).build())) {
                client.makeBucket(MakeBucketArgs.builder().bucket(config.bucket()).build());
                LOG.infof("created bucket %s", config.bucket());
            }
            bucketReady = true;
        }
    }

    /** Validates a {@code sha256/<hex>} key (400 otherwise). */
    public static String keyOf(String hex, String field) {
        if (hex == null || !Digests.HEX.matcher(hex).matches()) {
            throw ApiProblem.badRequest("a digest is 64 lowercase hex digits, got '" + hex + "'", field);
        }
        return "sha256/" + hex;
    }

    /** Size of a stored blob, or empty. */
    public Optional<Long> stat(String key) {
        return statBlob(key).map(StoredBlob::size);
    }

    /** Size and last-modified time of a stored blob, or empty. */
    public Optional<StoredBlob> statBlob(String key) {
        try {
            ensureBucket();
            StatObjectResponse r = client.statObject(StatObjectArgs.builder().bucket(config.bucket()).object(key).build());
            Instant modified = r.lastModified() == null ? Instant.EPOCH : r.lastModified().toInstant();
            return Optional.of(new StoredBlob(key, r.size(), modified));
        } catch (ErrorResponseException e) {
            String code = e.errorResponse().code();
            if ("NoSuchKey".equals(code) || "NoSuchObject".equals(code) || "NotFound".equals(code)) {
                return Optional.empty();
            }
            throw new IllegalStateException("object store stat failed for " + key + ": " + code, e);
        } catch (Exception e) {
            throw new IllegalStateException("object store stat failed for " + key, e);
        }
    }

    /** Part size of streamed uploads: what one upload holds in memory (twice, while a part is sent). */
    static final int PART_SIZE = 16 << 20;

    /** Lifetime of the UploadPart URLs the registry signs for itself (a part is sent at once). */
    private static final int PART_URL_SECONDS = 600;

    /**
     * Stores the request body under {@code sha256/<hex>} as it arrives, hashing on the way: the
     * bytes go to the object store once, with no temporary file. An object up to one part is checked
     * and then written with one PUT; a larger one is a multipart upload whose parts are sent while
     * the next is read, and which is completed only when the digest matches (aborted otherwise), so
     * bytes that do not hash to their key never become visible under it. An existing key is not
     * written again (the body is still read and checked, 422 on a mismatch).
     */
    public Stored put(String hex, InputStream body) {
        String key = keyOf(hex, "digest");
        if (body == null) {
            throw ApiProblem.badRequest("the blob bytes are the request body", "body");
        }
        try {
            ensureBucket();
            boolean exists = stat(key).isPresent();
            MessageDigest md = Digests.sha256();
            byte[] first = readPart(body, md, key);
            if (exists || first.length < PART_SIZE) {
                long size = first.length;
                if (exists) {
                    size += drain(body, md, key);
                }
                requireDigest(md, hex, key);
                if (exists) {
                    return new Stored(key, stat(key).orElse(size), false);
                }
                boolean created = publication.underLock(key, size, () -> {
                    boolean existed = stat(key).isPresent();
                    client.putObject(PutObjectArgs.builder().bucket(config.bucket()).object(key)
                            .stream(new java.io.ByteArrayInputStream(first), first.length, -1)
                            .contentType("application/octet-stream").build());
                    return !existed;
                });
                return new Stored(key, size, created);
            }
            return multipart(key, hex, first, body, md);
        } catch (ApiProblem | ClientAbortException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("object store upload failed for " + key, e);
        }
    }

    private Stored multipart(String key, String hex, byte[] first, InputStream body, MessageDigest md) throws Exception {
        String bucket = config.bucket();
        String uploadId = async.createMultipartUploadAsync(bucket, config.region(), key,
                com.google.common.collect.ImmutableMultimap.of("Content-Type", "application/octet-stream"), null)
                .get().result().uploadId();
        List<java.util.concurrent.CompletableFuture<String>> sent = new ArrayList<>();
        boolean completed = false;
        try {
            long size = 0;
            byte[] part = first;
            int number = 1;
            while (part.length > 0) {
                // At most one part in flight while the next is read from the client.
                if (sent.size() >= 2) {
                    sent.get(sent.size() - 2).get();
                }
                sent.add(sendPart(key, uploadId, number, part));
                size += part.length;
                number++;
                part = part.length < PART_SIZE ? new byte[0] : readPart(body, md, key);
            }
            io.minio.messages.Part[] parts = new io.minio.messages.Part[sent.size()];
            for (int i = 0; i < parts.length; i++) {
                parts[i] = new io.minio.messages.Part(i + 1, sent.get(i).get());
            }
            requireDigest(md, hex, key);
            boolean created = publication.underLock(key, size, () -> {
                boolean existed = stat(key).isPresent();
                async.completeMultipartUploadAsync(bucket, config.region(), key, uploadId, parts, null, null).get();
                return !existed;
            });
            completed = true;
            return new Stored(key, size, created);
        } finally {
            if (!completed) {
                for (var f : sent) {
                    f.cancel(false);
                }
                try {
                    async.abortMultipartUploadAsync(bucket, config.region(), key, uploadId, null, null).get();
                } catch (Exception e) {
                    LOG.warnf("could not abort the multipart upload %s of %s: %s", uploadId, key, e.getMessage());
                }
            }
        }
    }

    /**
     * Sends one part through a presigned UploadPart URL. Such a request carries UNSIGNED-PAYLOAD:
     * through the SDK over plain HTTP every part would be hashed once more for its SigV4 signature
     * and again by the store to check it, two extra passes over bytes whose sha256 this upload
     * already computes for its key. Answers the part's ETag (unquoted, as CompleteMultipartUpload takes it).
     */
    private java.util.concurrent.CompletableFuture<String> sendPart(String key, String uploadId, int number, byte[] part)
            throws Exception {
        String url = client.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder().method(Method.PUT)
                .bucket(config.bucket()).object(key).expiry(PART_URL_SECONDS)
                .extraQueryParams(java.util.Map.of("partNumber", String.valueOf(number), "uploadId", uploadId)).build());
        java.net.http.HttpRequest req = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                .timeout(java.time.Duration.ofSeconds(PART_URL_SECONDS))
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(part)).build();
        return parts.sendAsync(req, java.net.http.HttpResponse.BodyHandlers.ofString()).thenApply(r -> {
            if (r.statusCode() != 200) {
                throw new IllegalStateException("the object store refused part " + number + " of " + key + ": HTTP "
                        + r.statusCode() + " " + r.body());
            }
            return r.headers().firstValue("ETag").map(e -> e.replace("\"", ""))
                    .orElseThrow(() -> new IllegalStateException("no ETag for part " + number + " of " + key));
        });
    }

    /** Reads up to one part from the client, hashing it; a read failure is the client's abort. */
    private static byte[] readPart(InputStream body, MessageDigest md, String key) {
        try {
            byte[] part = body.readNBytes(PART_SIZE);
            md.update(part);
            return part;
        } catch (IOException e) {
            throw new ClientAbortException("upload of " + key + " ended early: " + e.getMessage(), e);
        }
    }

    private static long drain(InputStream body, MessageDigest md, String key) {
        long n = 0;
        byte[] buf = new byte[1 << 20];
        try {
            for (int k; (k = body.read(buf)) > 0; ) {
                md.update(buf, 0, k);
                n += k;
            }
            return n;
        } catch (IOException e) {
            throw new ClientAbortException("upload of " + key + " ended early: " + e.getMessage(), e);
        }
    }

    private static void requireDigest(MessageDigest md, String hex, String key) {
        String actual = HexFormat.of().formatHex(md.digest());
        if (!actual.equals(hex)) {
            throw ApiProblem.unprocessable("the uploaded bytes hash to sha256/" + actual + ", not " + key, "digest");
        }
    }

    /** Writes a small registry object (not a blob) under {@code key}, e.g. the audit checkpoint. */
    public void putObject(String key, byte[] bytes, String contentType) {
        try {
            ensureBucket();
            client.putObject(PutObjectArgs.builder().bucket(config.bucket()).object(key)
                    .stream(new java.io.ByteArrayInputStream(bytes), bytes.length, -1).contentType(contentType).build());
        } catch (Exception e) {
            throw new IllegalStateException("object store write failed for " + key, e);
        }
    }

    /** Reads a small registry object, or empty when it does not exist. */
    public Optional<byte[]> getObject(String key) {
        if (stat(key).isEmpty()) {
            return Optional.empty();
        }
        try (InputStream in = open(key)) {
            return Optional.of(in.readAllBytes());
        } catch (IOException e) {
            throw new IllegalStateException("object store read failed for " + key, e);
        }
    }

    /** Opens a stored blob; the caller closes the stream. */
    public InputStream open(String key) {
        try {
            return client.getObject(GetObjectArgs.builder().bucket(config.bucket()).object(key).build());
        } catch (Exception e) {
            throw new IllegalStateException("object store download failed for " + key, e);
        }
    }

    /** Every {@code sha256/...} object in the bucket (for garbage collection). */
    public List<StoredBlob> list() {
        try {
            ensureBucket();
            List<StoredBlob> out = new ArrayList<>();
            for (Result<Item> r : client.listObjects(ListObjectsArgs.builder().bucket(config.bucket())
                    .prefix("sha256/").recursive(true).build())) {
                Item item = r.get();
                if (item.isDir() || !Digests.BLOB_KEY.matcher(item.objectName()).matches()) {
                    continue;
                }
                Instant modified = item.lastModified() == null ? Instant.EPOCH : item.lastModified().toInstant();
                out.add(new StoredBlob(item.objectName(), item.size(), modified));
            }
            return out;
        } catch (Exception e) {
            throw new IllegalStateException("object store listing failed", e);
        }
    }

    /** Every object under {@code prefix} whatever its name (for sweeping presigned-upload staging objects). */
    public List<StoredBlob> listPrefix(String prefix) {
        try {
            ensureBucket();
            List<StoredBlob> out = new ArrayList<>();
            for (Result<Item> r : client.listObjects(ListObjectsArgs.builder().bucket(config.bucket())
                    .prefix(prefix).recursive(true).build())) {
                Item item = r.get();
                if (item.isDir()) {
                    continue;
                }
                Instant modified = item.lastModified() == null ? Instant.EPOCH : item.lastModified().toInstant();
                out.add(new StoredBlob(item.objectName(), item.size(), modified));
            }
            return out;
        } catch (Exception e) {
            throw new IllegalStateException("object store listing failed under " + prefix, e);
        }
    }

    /**
     * Reads an object back and hashes it (what a presigned upload is verified with). Reading stops
     * once more than {@code limit} bytes came: the answer's size is then {@code limit + 1}.
     */
    public Readback readBack(String key, long limit) {
        try (io.minio.GetObjectResponse in = client.getObject(GetObjectArgs.builder().bucket(config.bucket())
                .object(key).build())) {
            String etag = in.headers().get("ETag");
            MessageDigest md = Digests.sha256();
            byte[] buf = new byte[1 << 20];
            long n = 0;
            for (int k; (k = in.read(buf)) > 0; ) {
                md.update(buf, 0, k);
                n += k;
                if (n > limit) {
                    return new Readback(null, limit + 1, etag);
                }
            }
            return new Readback(HexFormat.of().formatHex(md.digest()), n, etag == null ? null : etag.replace("\"", ""));
        } catch (Exception e) {
            throw new IllegalStateException("object store read-back failed for " + key, e);
        }
    }

    /**
     * Server-side copy of {@code from} to {@code to}, only while {@code from} still has the ETag
     * {@code etag} (x-amz-copy-source-if-match). False when that precondition failed or {@code from}
     * is gone: the object changed since it was read.
     */
    public boolean copyIfUnchanged(String from, String to, String etag) {
        try {
            ensureBucket();
            client.copyObject(io.minio.CopyObjectArgs.builder().bucket(config.bucket()).object(to)
                    .source(io.minio.CopySource.builder().bucket(config.bucket()).object(from).matchETag(etag).build())
                    .build());
            return true;
        } catch (ErrorResponseException e) {
            String code = e.errorResponse().code();
            if ("PreconditionFailed".equals(code) || "NoSuchKey".equals(code) || "NotFound".equals(code)) {
                return false;
            }
            throw new IllegalStateException("object store copy failed for " + from + " -> " + to + ": " + code, e);
        } catch (Exception e) {
            throw new IllegalStateException("object store copy failed for " + from + " -> " + to, e);
        }
    }

    /**
     * A PUT URL for exactly {@code key}, valid {@code seconds}, on the endpoint clients use. Content-Length and
     * Content-Type are signed headers, so the store itself refuses a body of another length
     * (403 SignatureDoesNotMatch) and the object is served back as plain bytes.
     */
    public SignedUrl presignPut(String key, long size, int seconds) {
        try {
            String url = presigner.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder().method(Method.PUT)
                    .bucket(config.bucket()).object(key).expiry(seconds)
                    .extraHeaders(java.util.Map.of("Content-Length", Long.toString(size),
                            "Content-Type", UPLOAD_CONTENT_TYPE)).build());
            return new SignedUrl("upload", key, size, url, Instant.now().plusSeconds(seconds));
        } catch (Exception e) {
            throw new IllegalStateException("presigning failed for " + key, e);
        }
    }

    /** The content type signed into presigned PUTs (the client must send exactly this). */
    public static final String UPLOAD_CONTENT_TYPE = "application/octet-stream";

    /** Removes a stored blob (the caller has checked that nothing references it). */
    public void delete(String key) {
        try {
            ensureBucket();
            client.removeObject(RemoveObjectArgs.builder().bucket(config.bucket()).object(key).build());
        } catch (Exception e) {
            throw new IllegalStateException("object store delete failed for " + key, e);
        }
    }

    /** A short-lived GET URL for one entry. */
    public SignedUrl presign(ManifestEntry entry) {
        try {
            int seconds = config.presignSeconds();
            String url = presigner.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder().method(Method.GET)
                    .bucket(config.bucket()).object(entry.key()).expiry(seconds).build());
            return new SignedUrl(entry.role(), entry.key(), entry.size(), url, Instant.now().plusSeconds(seconds));
        } catch (Exception e) {
            throw new IllegalStateException("presigning failed for " + entry.key(), e);
        }
    }

    /**
     * Checks the shape of manifest entries (400) and that every blob exists with its size (422
     * naming the missing digest). Metadata that references blobs is committed only after this.
     */
    public void requireAll(List<ManifestEntry> entries, String field) {
        Check c = new Check();
        for (int i = 0; i < entries.size(); i++) {
            ManifestEntry e = entries.get(i);
            String f = field + "[" + i + "]";
            if (!c.present(e, f)) {
                continue;
            }
            c.notBlank(e.role(), f + ".role");
            c.that(e.key() != null && Digests.BLOB_KEY.matcher(e.key()).matches(), f + ".key",
                    "must be sha256/<64 lowercase hex>");
            c.that(e.size() != null && e.size() >= 0, f + ".size", "must be a size in bytes >= 0");
        }
        c.done();
        for (int i = 0; i < entries.size(); i++) {
            ManifestEntry e = entries.get(i);
            Optional<Long> size = stat(e.key());
            if (size.isEmpty()) {
                throw ApiProblem.unprocessable("blob " + e.key() + " (" + e.role() + ") is not in the object store; "
                        + "upload it first", field + "[" + i + "].key");
            }
            if (size.get().longValue() != e.size()) {
                throw ApiProblem.unprocessable("blob " + e.key() + " has " + size.get() + " bytes, the manifest says "
                        + e.size(), field + "[" + i + "].size");
            }
        }
    }
}
