/*
 * HTTP client for the Hookline registry API (docs/API.md), shared by the editor worker, the
 * serving nodes and the console. java.net.http + Jackson; no framework. Follows the API's
 * conventions: bearer token, problem JSON errors, ETag resolution, content-addressed blobs
 * verified on every download.
 */
package dev.hookline.client;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * A registry client bound to one base URL and one bearer token. Thread-safe.
 *
 * <p>Every non-2xx answer becomes a {@link RegistryException} carrying the problem JSON. Idempotent
 * requests (GET, HEAD, blob PUT, presigned-upload offer and completion) are retried on transient failures (no answer, 429, 5xx) with
 * exponential backoff; POSTs are not retried here because only the caller knows whether they are
 * idempotent (job completion is, per lease token).
 */
public final class RegistryClient implements AutoCloseable {
    /** How blob uploads reach the object store. */
    public enum BlobUploadMode {
        /** Presigned PUT straight to the store when the registry offers one; streamed otherwise, or when the store
         *  cannot be reached or refuses the PUT. */
        AUTO,
        /** Presigned only: an upload fails when the registry offers none or the store refuses it. */
        PRESIGNED,
        /** Always through the registry (a store on a network only the registry reaches). */
        STREAMED;

        /** Parses {@code auto}, {@code presigned} or {@code streamed} (any case). */
        public static BlobUploadMode parse(String s) {
            for (BlobUploadMode m : values()) {
                if (m.name().equalsIgnoreCase(s == null ? "" : s.strip())) {
                    return m;
                }
            }
            throw new IllegalArgumentException("blob upload mode must be auto, presigned or streamed, got '" + s + "'");
        }
    }

    /** Client settings. */
    public record Options(Duration connectTimeout, Duration requestTimeout, Duration blobTimeout, int attempts,
            Duration backoff, BlobUploadMode blobUpload) {
        public Options {
            if (attempts < 1) {
                throw new IllegalArgumentException("attempts must be >= 1, got " + attempts);
            }
            if (connectTimeout.isNegative() || requestTimeout.isNegative() || blobTimeout.isNegative()
                    || backoff.isNegative()) {
                throw new IllegalArgumentException("durations must not be negative");
            }
            if (blobUpload == null) {
                throw new IllegalArgumentException("blobUpload is required (AUTO, PRESIGNED or STREAMED)");
            }
        }

        /**
         * 5 s connect, 30 s per JSON request, 10 min per blob transfer, 3 attempts from 200 ms; blob
         * uploads AUTO unless the system property {@code hookline.blob-upload} or the environment
         * variable {@code HOOKLINE_BLOB_UPLOAD} says {@code presigned} or {@code streamed}.
         */
        public static Options defaults() {
            String mode = System.getProperty("hookline.blob-upload", System.getenv("HOOKLINE_BLOB_UPLOAD"));
            return new Options(Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofMinutes(10), 3,
                    Duration.ofMillis(200), mode == null || mode.isBlank() ? BlobUploadMode.AUTO : BlobUploadMode.parse(mode));
        }

        /** The same settings with another number of attempts (1 = no retry). */
        public Options withAttempts(int n) {
            return new Options(connectTimeout, requestTimeout, blobTimeout, n, backoff, blobUpload);
        }

        /** The same settings with another blob upload mode. */
        public Options withBlobUpload(BlobUploadMode mode) {
            return new Options(connectTimeout, requestTimeout, blobTimeout, attempts, backoff, mode);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final URI base;
    private final String token;
    private final Options options;
    private final HttpClient http;

    /** A client with default options. {@code baseUrl} is the registry root, e.g. http://localhost:8080. */
    public RegistryClient(URI baseUrl, String token) {
        this(baseUrl, token, Options.defaults());
    }

    public RegistryClient(URI baseUrl, String token, Options options) {
        if (baseUrl == null || baseUrl.getScheme() == null
                || !(baseUrl.getScheme().equals("http") || baseUrl.getScheme().equals("https"))) {
            throw new IllegalArgumentException("registry URL must be http(s)://host[:port], got " + baseUrl);
        }
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("a registry token is required");
        }
        String s = baseUrl.toString();
        this.base = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
        this.token = token.strip();
        this.options = options;
        this.http = HttpClient.newBuilder().connectTimeout(options.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** The registry root this client talks to. */
    public URI baseUrl() {
        return base;
    }

    /** The shared JSON mapper (unknown fields ignored, as the API promises for newer servers). */
    public static ObjectMapper json() {
        return JSON;
    }

    /** URL-encodes one query parameter value. */
    public static String q(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- JSON requests

    /** GET a JSON resource; {@code path} starts with {@code /api/}. */
    public JsonNode get(String path) {
        return send("GET", path, null, null, true).body;
    }

    /** GET a JSON resource, empty on 404. */
    public Optional<JsonNode> find(String path) {
        try {
            return Optional.of(get(path));
        } catch (RegistryException e) {
            if (e.status() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** POST a JSON body (any Jackson-serialisable object, or null for an empty object). */
    public JsonNode post(String path, Object body) {
        return send("POST", path, body == null ? JSON.createObjectNode() : body, null, false).body;
    }

    /** POST answering 204 No Content as empty (e.g. a lease when nothing is leasable). */
    public Optional<JsonNode> postOptional(String path, Object body) {
        Answer a = send("POST", path, body == null ? JSON.createObjectNode() : body, null, false);
        return a.status == 204 ? Optional.empty() : Optional.ofNullable(a.body);
    }

    /** PUT a JSON body. */
    public JsonNode put(String path, Object body) {
        return send("PUT", path, body, null, false).body;
    }

    /** DELETE a resource. */
    public JsonNode delete(String path) {
        return send("DELETE", path, null, null, false).body;
    }

    /** A conditional GET: with the ETag of the last answer, a 304 comes back as "not modified". */
    public Conditional getConditional(String path, String etag) {
        Answer a = send("GET", path, null, etag, true);
        if (a.status == 304) {
            return new Conditional(true, etag, null);
        }
        return new Conditional(false, a.etag, a.body);
    }

    // ---------------------------------------------------------------- typed helpers (docs/API.md)

    /** {@code GET /api/me}: principal and roles of this client's token. */
    public JsonNode me() {
        return get("/api/me");
    }

    /** Leases the next job, or empty when none is leasable ({@code modelId} may be null). */
    public Optional<JsonNode> lease(String worker, Long modelId, Integer leaseSeconds) {
        ObjectNode body = JSON.createObjectNode();
        if (worker != null) {
            body.put("worker", worker);
        }
        if (modelId != null) {
            body.put("modelId", modelId);
        }
        if (leaseSeconds != null) {
            body.put("leaseSeconds", leaseSeconds);
        }
        return postOptional("/api/jobs/lease", body);
    }

    /** Heartbeats a leased job with progress; a 409 means the lease is gone (expired, cancelled). */
    public JsonNode heartbeat(long jobId, String leaseToken, String phase, Integer percent) {
        ObjectNode body = JSON.createObjectNode().put("leaseToken", leaseToken);
        if (phase != null) {
            body.put("phase", phase);
        }
        if (percent != null) {
            body.put("percent", percent);
        }
        return post("/api/jobs/" + jobId + "/heartbeat", body);
    }

    /** Completes a job ({@code body} has leaseToken, manifest, alpha, metrics); idempotent per lease token. */
    public JsonNode complete(long jobId, Object body) {
        return post("/api/jobs/" + jobId + "/complete", body);
    }

    /** Fails a job with an error message. */
    public JsonNode fail(long jobId, String leaseToken, String error) {
        return post("/api/jobs/" + jobId + "/fail", Map.of("leaseToken", leaseToken, "error", error));
    }

    /** Resolves a channel of a model (conditional on the last ETag, may be null). */
    public Conditional resolveChannel(long modelId, String channel, String etag) {
        return getConditional("/api/models/" + modelId + "/channels/" + q(channel) + "/resolve", etag);
    }

    /** Resolves an exact validated version (conditional on the last ETag, may be null). */
    public Conditional resolveVersion(long versionId, String etag) {
        return getConditional("/api/versions/" + versionId + "/resolve", etag);
    }

    /** Registers (or re-registers by name) a serving node; answers the node view with its id. */
    public JsonNode registerNode(String name, Long modelId, String channel, String address) {
        ObjectNode body = JSON.createObjectNode().put("name", name);
        if (modelId != null) {
            body.put("modelId", modelId);
        }
        if (channel != null) {
            body.put("channel", channel);
        }
        if (address != null) {
            body.put("address", address);
        }
        return post("/api/nodes", body);
    }

    /** Reports what a node runs: status STARTING, LOADING, SERVING, FAILED or STOPPED. */
    public JsonNode nodeHeartbeat(long nodeId, Long versionId, String digest, String status, String message) {
        ObjectNode body = JSON.createObjectNode().put("status", status);
        if (versionId != null) {
            body.put("versionId", versionId);
        }
        if (digest != null) {
            body.put("digest", digest);
        }
        if (message != null) {
            body.put("message", message);
        }
        return post("/api/nodes/" + nodeId + "/heartbeat", body);
    }

    // ---------------------------------------------------------------- blobs

    /** Uploads a file as {@code sha256/<hex>} ({@link #uploadBlob(Path)}); answers its reference. */
    public BlobRef putBlob(Path file) {
        return uploadBlob(file).ref();
    }

    /** Uploads bytes as {@code sha256/<hex>} ({@link #uploadBlob(byte[])}); answers their reference. */
    public BlobRef putBlob(byte[] bytes) {
        return uploadBlob(bytes).ref();
    }

    /**
     * Uploads a file as {@code sha256/<hex>} (idempotent). In {@link BlobUploadMode#AUTO} the bytes
     * go straight to the object store through a presigned PUT the registry offers, and the registry
     * verifies them (size and sha256) before they are stored under their key; when the registry
     * offers none, or the store cannot be reached or refuses the PUT, they are streamed through the
     * registry instead, which refuses bytes that do not match their key.
     *
     * @throws RegistryException when the registry refuses the bytes (422: they do not hash to the key)
     */
    public BlobUpload uploadBlob(Path file) {
        BlobRef ref = Sha256.ref(file);
        return upload(ref, () -> HttpRequest.BodyPublishers.ofFile(file));
    }

    /** Uploads bytes as {@code sha256/<hex>}, as {@link #uploadBlob(Path)} does. */
    public BlobUpload uploadBlob(byte[] bytes) {
        BlobRef ref = Sha256.ref(bytes);
        return upload(ref, () -> HttpRequest.BodyPublishers.ofByteArray(bytes));
    }

    @FunctionalInterface
    private interface Body {
        HttpRequest.BodyPublisher open() throws IOException;
    }

    /** Why a presigned PUT did not store the bytes: the store's status (0: no answer) and its words. */
    private record StoreFailure(int status, String message, Exception cause) {
    }

    private BlobUpload upload(BlobRef ref, Body body) {
        String note = null;
        if (options.blobUpload() != BlobUploadMode.STREAMED) {
            String offerPath = "/api/blobs/" + ref.key() + "/uploads";
            JsonNode offer = null;
            try {
                offer = send("POST", offerPath, JSON.createObjectNode().put("size", ref.size()), null, true,
                        options.requestTimeout()).body;
            } catch (RegistryException e) {
                if (e.status() != 404 && e.status() != 405) {
                    throw e;
                }
                note = "the registry offers no presigned uploads (" + e.status() + " from POST " + offerPath + ")";
            }
            if (offer != null && offer.path("stored").asBoolean(false)) {
                return new BlobUpload(ref, BlobUpload.Transfer.ALREADY_STORED, null);
            }
            JsonNode upload = offer == null ? null : offer.path("upload");
            if (upload != null && upload.isObject()) {
                StoreFailure failure = putPresigned(ref, upload, body);
                String complete = upload.path("complete").asText();
                if (failure == null) {
                    // The registry reads the object back and hashes it: give it the blob timeout.
                    send("POST", complete, null, null, true, options.blobTimeout());
                    return new BlobUpload(ref, BlobUpload.Transfer.PRESIGNED, null);
                }
                try {
                    send("DELETE", complete, null, null, false, options.requestTimeout());
                } catch (RegistryException e) {
                    // Best effort: the registry sweeps staging objects nobody completed.
                }
                if (options.blobUpload() == BlobUploadMode.PRESIGNED) {
                    throw new RegistryException(failure.status(), "PUT", storeAddress(upload), null, failure.message(),
                            failure.cause());
                }
                note = failure.message();
            } else if (offer != null) {
                note = offer.path("reason").asText("the registry offered no presigned upload");
            }
            if (options.blobUpload() == BlobUploadMode.PRESIGNED) {
                throw new RegistryException(0, "POST", offerPath, null, "no presigned upload for " + ref.key() + ": "
                        + note, null);
            }
        }
        String path = "/api/blobs/" + ref.key();
        retrying("PUT", path, () -> {
            HttpRequest req = request(path, options.blobTimeout())
                    .header("Content-Type", "application/octet-stream")
                    .PUT(body.open()).build();
            return expectOk("PUT", path, http.send(req, HttpResponse.BodyHandlers.ofByteArray()));
        });
        return new BlobUpload(ref, BlobUpload.Transfer.STREAMED, note);
    }

    /** PUTs the bytes to a presigned URL with exactly the offered headers; null when the store took them. */
    private StoreFailure putPresigned(BlobRef ref, JsonNode upload, Body body) {
        String where = storeAddress(upload);
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(upload.path("url").asText()))
                    .timeout(options.blobTimeout()).version(HttpClient.Version.HTTP_1_1);
            var headers = upload.path("headers").fields();
            while (headers.hasNext()) {
                var h = headers.next();
                // Content-Length is signed too; java.net.http sets it from the body's length itself.
                if (!h.getKey().equalsIgnoreCase("Content-Length")) {
                    b.header(h.getKey(), h.getValue().asText());
                }
            }
            HttpResponse<String> r = http.send(b.method(upload.path("method").asText("PUT"), body.open()).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() / 100 == 2) {
                return null;
            }
            String code = r.body() == null ? "" : r.body().replaceAll("(?s).*<Code>([^<]*)</Code>.*", "$1");
            return new StoreFailure(r.statusCode(), "the object store at " + where + " refused the presigned PUT of "
                    + ref.key() + ": " + r.statusCode() + (code.length() < 80 ? " " + code : ""), null);
        } catch (IOException | IllegalArgumentException e) {
            return new StoreFailure(0, "the object store at " + where + " is not reachable from here ("
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(0, "PUT", where, null, "PUT " + where + ": interrupted", e);
        }
    }

    private static String storeAddress(JsonNode upload) {
        try {
            URI u = URI.create(upload.path("url").asText());
            return u.getScheme() + "://" + u.getAuthority() + u.getPath();
        } catch (IllegalArgumentException e) {
            return "(unparsable upload URL)";
        }
    }

    /** The stored size of a blob, empty when the store does not have it. */
    public Optional<Long> blobSize(String key) {
        BlobRef.requireKey(key);
        String path = "/api/blobs/" + key;
        return retrying("HEAD", path, () -> {
            HttpRequest req = request(path, options.requestTimeout()).method("HEAD", HttpRequest.BodyPublishers.noBody())
                    .build();
            HttpResponse<Void> r = http.send(req, HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() == 404) {
                return Optional.<Long>empty();
            }
            if (r.statusCode() != 200) {
                throw error("HEAD", path, r.statusCode(), new byte[0], null);
            }
            return Optional.of(r.headers().firstValueAsLong("Content-Length").orElse(-1));
        });
    }

    /**
     * Downloads a blob through the registry to {@code target}, verifying size and sha256 while
     * streaming. The file appears only when it verified (written beside it, then moved atomically).
     *
     * @throws BlobIntegrityException when the bytes do not match the key (nothing is left behind)
     */
    public void downloadBlob(BlobRef blob, Path target) {
        // Ask for a redirect: the registry answers 307 to a presigned object-store URL, so the
        // bytes travel once (store -> client). A registry that streams itself answers 200.
        String path = "/api/blobs/" + blob.key();
        retrying("GET", path, () -> {
            HttpRequest req = request(path + "?redirect=true", options.blobTimeout()).GET().build();
            HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
            int s = r.statusCode();
            Optional<String> location = r.headers().firstValue("Location");
            if ((s == 307 || s == 302 || s == 303) && location.isPresent()) {
                try (InputStream ignored = r.body()) {
                    ignored.transferTo(OutputStream.nullOutputStream());
                }
                URI url = URI.create(location.get());
                fetchVerified(url, url.getScheme() + "://" + url.getAuthority() + url.getPath(), blob, target);
            } else {
                verifyInto(r, "GET", path, blob, target);
            }
            return null;
        });
    }

    /**
     * Downloads a blob from a presigned object-store URL (no bearer token is sent), verified as in
     * {@link #downloadBlob}.
     */
    public void downloadPresigned(URI url, BlobRef blob, Path target) {
        String shown = url.getScheme() + "://" + url.getAuthority() + url.getPath();
        retrying("GET", shown, () -> {
            fetchVerified(url, shown, blob, target);
            return null;
        });
    }

    /**
     * GETs an object-store URL (no bearer token) into {@code target}, verified. Through
     * HttpURLConnection: its blocking socket stream moves bulk bytes at the store's rate, where
     * java.net.http's body subscriber (16 KiB buffers handed across threads) measured 0.6-0.9 of a
     * direct S3 GET of the same object (docs/BENCHMARKS.md, issue 26). Each read may wait the
     * request timeout.
     */
    private void fetchVerified(URI url, String shown, BlobRef blob, Path target) throws IOException {
        java.net.HttpURLConnection c = (java.net.HttpURLConnection) url.toURL().openConnection();
        c.setConnectTimeout((int) Math.min(Integer.MAX_VALUE, options.connectTimeout().toMillis()));
        c.setReadTimeout((int) Math.min(Integer.MAX_VALUE, options.requestTimeout().toMillis()));
        c.setInstanceFollowRedirects(false);
        boolean done = false;
        try {
            int status = c.getResponseCode();
            if (status != 200) {
                byte[] body;
                try (InputStream e = c.getErrorStream()) {
                    body = e == null ? new byte[0] : e.readAllBytes();
                }
                throw error("GET", shown, status, body, c.getContentType());
            }
            try (InputStream in = c.getInputStream()) {
                writeVerified(in, blob, target);
            }
            done = true;
        } finally {
            if (!done) {
                c.disconnect(); // a connection left mid-body cannot be reused
            }
        }
    }

    private void verifyInto(HttpResponse<InputStream> r, String method, String path, BlobRef blob, Path target)
            throws IOException {
        if (r.statusCode() != 200) {
            byte[] body;
            try (InputStream in = r.body()) {
                body = in.readAllBytes();
            }
            throw error(method, path, r.statusCode(), body, r.headers().firstValue("Content-Type").orElse(null));
        }
        try (InputStream in = r.body()) {
            writeVerified(in, blob, target);
        }
    }

    /** Streams into a temporary file beside {@code target} while hashing; moves it there only when it verified. */
    private static void writeVerified(InputStream body, BlobRef blob, Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".download-", ".part");
        try {
            MessageDigest md = Sha256.digest();
            long n = 0;
            try (InputStream in = body; OutputStream out = Files.newOutputStream(tmp)) {
                byte[] buf = new byte[1 << 20];
                for (int k; (k = in.read(buf)) > 0; ) {
                    md.update(buf, 0, k);
                    out.write(buf, 0, k);
                    n += k;
                    if (n > blob.size()) {
                        throw new BlobIntegrityException(blob.key(), null, "blob " + blob.key() + " is longer than "
                                + blob.size() + " bytes: refused");
                    }
                }
            }
            String actual = "sha256/" + HexFormat.of().formatHex(md.digest());
            if (n != blob.size()) {
                throw new BlobIntegrityException(blob.key(), actual, "blob " + blob.key() + " has " + n
                        + " bytes, expected " + blob.size() + ": refused");
            }
            if (!actual.equals(blob.key())) {
                throw new BlobIntegrityException(blob.key(), actual, "blob " + blob.key()
                        + " failed verification: its bytes hash to " + actual);
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    // ---------------------------------------------------------------- plumbing

    private record Answer(int status, String etag, JsonNode body) {
    }

    @FunctionalInterface
    private interface Call<T> {
        T run() throws IOException, InterruptedException;
    }

    private HttpRequest.Builder request(String path, Duration timeout) {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path must start with /, got " + path);
        }
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                .header("Authorization", "Bearer " + token);
    }

    private Answer send(String method, String path, Object body, String ifNoneMatch, boolean idempotent) {
        return send(method, path, body, ifNoneMatch, idempotent, options.requestTimeout());
    }

    private Answer send(String method, String path, Object body, String ifNoneMatch, boolean idempotent,
            Duration timeout) {
        byte[] payload;
        try {
            payload = body == null ? null : JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot serialise request body for " + method + " " + path, e);
        }
        Call<Answer> call = () -> {
            HttpRequest.Builder b = request(path, timeout).header("Accept", "application/json");
            if (ifNoneMatch != null) {
                b.header("If-None-Match", ifNoneMatch);
            }
            if (payload != null) {
                b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofByteArray(payload));
            } else {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            String etag = r.headers().firstValue("ETag").orElse(null);
            if (r.statusCode() == 304 || r.statusCode() == 204) {
                return new Answer(r.statusCode(), etag, null);
            }
            if (r.statusCode() / 100 != 2) {
                throw error(method, path, r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse(null));
            }
            JsonNode json = r.body().length == 0 ? null : JSON.readTree(r.body());
            return new Answer(r.statusCode(), etag, json);
        };
        return idempotent ? retrying(method, path, call) : once(method, path, call);
    }

    private static <T> T expectOk(String method, String path, HttpResponse<byte[]> r) {
        if (r.statusCode() / 100 != 2) {
            throw error(method, path, r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse(null));
        }
        return null;
    }

    private <T> T once(String method, String path, Call<T> call) {
        try {
            return call.run();
        } catch (HttpTimeoutException | ConnectException e) {
            throw new RegistryException(0, method, path, null, method + " " + path + ": registry not reachable at "
                    + base + " (" + e.getClass().getSimpleName() + ")", e);
        } catch (IOException e) {
            throw new RegistryException(0, method, path, null, method + " " + path + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(0, method, path, null, method + " " + path + ": interrupted", e);
        }
    }

    private <T> T retrying(String method, String path, Call<T> call) {
        long wait = Math.max(1, options.backoff().toMillis());
        for (int attempt = 1; ; attempt++) {
            try {
                return once(method, path, call);
            } catch (RegistryException e) {
                if (!e.isTransient() || attempt >= options.attempts()) {
                    throw e;
                }
            } catch (UncheckedIOException e) {
                if (attempt >= options.attempts()) {
                    throw e;
                }
            }
            try {
                Thread.sleep(wait);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new RegistryException(0, method, path, null, method + " " + path + ": interrupted", ie);
            }
            wait *= 2;
        }
    }

    private static RegistryException error(String method, String path, int status, byte[] body, String contentType) {
        JsonNode problem = null;
        if (body != null && body.length > 0 && contentType != null && contentType.contains("json")) {
            try {
                problem = JSON.readTree(body);
            } catch (IOException ignored) {
                problem = null; // a non-JSON error body: the status speaks for itself
            }
        }
        StringBuilder msg = new StringBuilder(method).append(' ').append(path).append(" -> ").append(status);
        if (problem != null) {
            if (problem.hasNonNull("title")) {
                msg.append(' ').append(problem.get("title").asText());
            }
            if (problem.hasNonNull("detail")) {
                msg.append(": ").append(problem.get("detail").asText());
            }
            if (problem.has("fields") && problem.get("fields").isArray()) {
                for (JsonNode f : problem.get("fields")) {
                    msg.append(" [").append(f.path("field").asText()).append(": ").append(f.path("message").asText())
                            .append(']');
                }
            }
        } else if (body != null && body.length > 0 && body.length < 400) {
            msg.append(' ').append(new String(body, StandardCharsets.UTF_8).strip());
        }
        return new RegistryException(status, method, path, problem, msg.toString(), null);
    }

    @Override
    public void close() {
        // java.net.http.HttpClient has no close() before Java 21; its threads end when it is unreachable.
    }
}
