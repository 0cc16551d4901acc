package dev.hookline.registry;

import dev.hookline.client.BlobRef;
import dev.hookline.client.BlobUpload;
import dev.hookline.client.RegistryClient;
import dev.hookline.registry.launch.EmbeddedServices;
import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.minio.UploadObjectArgs;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Benchmark command (issue 26): blob upload and download through the registry against a direct
 * S3 transfer of an object of the same size, on the embedded S3 (S3Proxy) of the test instance.
 * Uploads: presigned (the client's default: straight to the store, then verified by the registry)
 * and streamed (through the registry), against two direct ones: the MinIO SDK's uploadObject (what
 * a program that talks S3 itself does: multipart, payload-signed over plain HTTP) and one raw PUT of
 * the file to a URL presigned for it (the least work any S3 upload does); downloads: by redirect
 * (the client's default) and streamed.
 * Each round uploads fresh random files in a rotating order, so a shared machine's load falls on
 * every path alike; the ratios are of the medians over the rounds. Prints MiB/s, and what the
 * presigned completion spent reading the object back and copying it; asserts only that the
 * bytes arrived intact (speed is a figure, not a test).
 * <pre>
 * mvn -B -o -pl registry-service -am test -Dtest=BlobTransferBenchmark -Dhookline.bench.blobs=true \
 *     -Dhookline.bench.mib=256 -Dhookline.bench.rounds=5 -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
@QuarkusTest
class BlobTransferBenchmark {

    /** Columns of a round. */
    private static final String[] COLUMNS = {"PUT direct", "PUT presigned", "PUT streamed", "PUT raw",
        "GET direct", "GET redirect", "GET streamed", "verify readback s", "verify copy s"};

    @Inject
    MeterRegistry meters;

    @Test
    void uploadAndDownloadAgainstDirectS3() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("hookline.bench.blobs"), "benchmark: -Dhookline.bench.blobs=true");
        int mib = Integer.getInteger("hookline.bench.mib", 256);
        int rounds = Integer.getInteger("hookline.bench.rounds", 5);
        String endpoint = ConfigProvider.getConfig().getValue("hookline.s3.endpoint", String.class);
        MinioClient s3 = MinioClient.builder().endpoint(endpoint)
                .credentials(EmbeddedServices.S3_IDENTITY, EmbeddedServices.S3_CREDENTIAL).build();
        String worker = Fixtures.token(Fixtures.unique("bench-w"), "WORKER");
        URI base = URI.create("http://127.0.0.1:" + RestAssured.port);
        RegistryClient presigned = new RegistryClient(base, worker,
                RegistryClient.Options.defaults().withBlobUpload(RegistryClient.BlobUploadMode.PRESIGNED));
        RegistryClient streaming = new RegistryClient(base, worker,
                RegistryClient.Options.defaults().withBlobUpload(RegistryClient.BlobUploadMode.STREAMED));
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        Path dir = Files.createTempDirectory("hookline-bench-");
        List<double[]> rows = new ArrayList<>();
        try {
            for (int r = 0; r < rounds; r++) {
                Path a = random(dir.resolve("a.bin"), mib, 4L * r);
                Path b = random(dir.resolve("b.bin"), mib, 4L * r + 1);
                Path c = random(dir.resolve("c.bin"), mib, 4L * r + 2);
                Path d = random(dir.resolve("d.bin"), mib, 4L * r + 3);
                long bytes = Files.size(a);
                double[] row = new double[COLUMNS.length];
                BlobRef[] refs = new BlobRef[3];
                double readback0 = verifySeconds("readback");
                double copy0 = verifySeconds("copy");
                String object = "bench/direct-" + r;
                String raw = s3.getPresignedObjectUrl(io.minio.GetPresignedObjectUrlArgs.builder()
                        .method(io.minio.http.Method.PUT).bucket("hookline").object("bench/raw-" + r).expiry(600).build());
                for (int k = 0; k < 4; k++) {
                    int which = (k + r) % 4; // rotate the order of the four uploads
                    long t0 = System.nanoTime();
                    switch (which) {
                        case 0 -> s3.uploadObject(UploadObjectArgs.builder().bucket("hookline").object(object)
                                .filename(a.toString()).build());
                        case 1 -> {
                            BlobUpload up = presigned.uploadBlob(b);
                            assertEquals(BlobUpload.Transfer.PRESIGNED, up.transfer());
                            refs[1] = up.ref();
                        }
                        case 2 -> {
                            BlobUpload up = streaming.uploadBlob(c);
                            assertEquals(BlobUpload.Transfer.STREAMED, up.transfer());
                            refs[2] = up.ref();
                        }
                        default -> assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(raw))
                                .PUT(HttpRequest.BodyPublishers.ofFile(d)).build(),
                                HttpResponse.BodyHandlers.discarding()).statusCode());
                    }
                    row[which] = rate(bytes, t0);
                }
                row[7] = verifySeconds("readback") - readback0;
                row[8] = verifySeconds("copy") - copy0;
                BlobRef ref = refs[1];
                for (int k = 0; k < 3; k++) {
                    int which = (k + r) % 3;
                    long t0 = System.nanoTime();
                    switch (which) {
                        // Every download is verified as a client must (sha256 while writing), the direct one too.
                        case 0 -> {
                            try (InputStream in = s3.getObject(GetObjectArgs.builder().bucket("hookline").object(object)
                                    .build())) {
                                hashInto(in, dir.resolve("direct.out"));
                            }
                        }
                        case 1 -> presigned.downloadBlob(ref, dir.resolve("redirect.out"));
                        default -> {
                            HttpResponse<InputStream> streamed = http.send(HttpRequest.newBuilder(URI.create(base
                                            + "/api/blobs/" + ref.key())).header("Authorization", "Bearer " + worker)
                                    .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
                            assertEquals(200, streamed.statusCode());
                            try (InputStream in = streamed.body()) {
                                hashInto(in, dir.resolve("stream.out"));
                            }
                        }
                    }
                    row[4 + which] = rate(bytes, t0);
                }
                assertEquals(ref.hex(), sha256(dir.resolve("stream.out")));
                assertEquals(ref.hex(), sha256(dir.resolve("redirect.out")));
                assertEquals(sha256(a), sha256(dir.resolve("direct.out")));
                assertEquals(sha256(c), refs[2].hex());
                rows.add(row);
                System.out.printf(Locale.ROOT, "round %d (%d MiB, load %.2f): PUT direct %.0f, raw %.0f, presigned %.0f "
                                + "(%.2f; %.2f of raw), streamed %.0f MiB/s (%.2f; %.2f of raw); GET direct %.0f, "
                                + "redirect %.0f (%.2f), streamed %.0f MiB/s (%.2f); presigned completion: read-back "
                                + "%.2f s, copy %.2f s%n",
                        r + 1, mib, load(), row[0], row[3], row[1], row[1] / row[0], row[1] / row[3], row[2],
                        row[2] / row[0], row[2] / row[3], row[4], row[5], row[5] / row[4], row[6], row[6] / row[4],
                        row[7], row[8]);
                s3.removeObject(io.minio.RemoveObjectArgs.builder().bucket("hookline").object(object).build());
                s3.removeObject(io.minio.RemoveObjectArgs.builder().bucket("hookline").object("bench/raw-" + r).build());
            }
            double[] med = new double[COLUMNS.length];
            for (int k = 0; k < COLUMNS.length; k++) {
                int kk = k;
                double[] sorted = rows.stream().mapToDouble(x -> x[kk]).sorted().toArray();
                med[k] = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                        : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
            }
            System.out.printf(Locale.ROOT, "median of %d rounds (%d MiB, load %.2f): PUT direct %.0f, raw %.0f, "
                            + "presigned %.0f (ratio %.2f; %.2f of raw), streamed %.0f MiB/s (ratio %.2f; %.2f of raw); "
                            + "GET direct %.0f, redirect %.0f (ratio %.2f), streamed %.0f MiB/s (ratio %.2f); presigned "
                            + "completion: read-back %.2f s, copy %.2f s%n",
                    rounds, mib, load(), med[0], med[3], med[1], med[1] / med[0], med[1] / med[3], med[2],
                    med[2] / med[0], med[2] / med[3], med[4], med[5], med[5] / med[4], med[6], med[6] / med[4], med[7],
                    med[8]);
        } finally {
            try (var s = Files.list(dir)) {
                s.forEach(p -> p.toFile().delete());
            }
            Files.deleteIfExists(dir);
        }
    }

    /** Seconds the registry has spent in one step of presigned completions so far. */
    private double verifySeconds(String step) {
        Timer t = meters.find("hookline.blob.upload.verify").tag("step", step).timer();
        return t == null ? 0 : t.totalTime(TimeUnit.SECONDS);
    }

    /** The one-minute load average (the machine may be shared). */
    private static double load() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static Path random(Path file, int mib, long seed) throws Exception {
        Random rnd = new Random(seed ^ System.nanoTime());
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < mib; i++) {
                rnd.nextBytes(chunk);
                out.write(chunk);
            }
        }
        return file;
    }

    /** Writes the stream to {@code file} while hashing it (what a verifying client does). */
    private static String hashInto(InputStream in, Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (OutputStream out = Files.newOutputStream(file)) {
            byte[] buf = new byte[1 << 20];
            for (int k; (k = in.read(buf)) > 0; ) {
                md.update(buf, 0, k);
                out.write(buf, 0, k);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static double rate(long bytes, long t0) {
        return bytes / 1048576.0 / ((System.nanoTime() - t0) / 1e9);
    }

    private static String sha256(Path f) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(f)) {
            byte[] buf = new byte[1 << 20];
            for (int k; (k = in.read(buf)) > 0; ) {
                md.update(buf, 0, k);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
