package dev.hookline.registry;

import dev.hookline.client.BlobRef;
import dev.hookline.client.RegistryClient;
import dev.hookline.registry.launch.EmbeddedServices;
import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.minio.UploadObjectArgs;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
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

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Benchmark command (issue 26): blob upload and download through the registry against a direct
 * S3 transfer of an object of the same size, on the embedded S3 (S3Proxy) of the test instance.
 * Prints MiB/s; asserts only that the bytes arrived intact (speed is a figure, not a test).
 * <pre>
 * mvn -B -o -pl registry-service -am test -Dtest=BlobTransferBenchmark -Dhookline.bench.blobs=true \
 *     -Dhookline.bench.mib=256 -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
@QuarkusTest
class BlobTransferBenchmark {

    @Test
    void uploadAndDownloadAgainstDirectS3() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("hookline.bench.blobs"), "benchmark: -Dhookline.bench.blobs=true");
        int mib = Integer.getInteger("hookline.bench.mib", 256);
        int rounds = Integer.getInteger("hookline.bench.rounds", 3);
        String endpoint = ConfigProvider.getConfig().getValue("hookline.s3.endpoint", String.class);
        MinioClient s3 = MinioClient.builder().endpoint(endpoint)
                .credentials(EmbeddedServices.S3_IDENTITY, EmbeddedServices.S3_CREDENTIAL).build();
        String worker = Fixtures.token(Fixtures.unique("bench-w"), "WORKER");
        RegistryClient client = new RegistryClient(URI.create("http://127.0.0.1:" + RestAssured.port), worker);
        HttpClient http = HttpClient.newHttpClient();
        Path dir = Files.createTempDirectory("hookline-bench-");
        List<double[]> rows = new ArrayList<>(); // direct PUT, registry PUT, direct GET, registry GET (redirect), registry GET (stream)
        try {
            for (int r = 0; r < rounds; r++) {
                Path a = random(dir.resolve("a.bin"), mib, 2L * r);
                Path b = random(dir.resolve("b.bin"), mib, 2L * r + 1);
                long bytes = Files.size(a);
                double[] row = new double[5];
                long t0 = System.nanoTime();
                s3.uploadObject(UploadObjectArgs.builder().bucket("hookline").object("bench/direct-" + r)
                        .filename(a.toString()).build());
                row[0] = rate(bytes, t0);
                t0 = System.nanoTime();
                BlobRef ref = client.putBlob(b);
                row[1] = rate(bytes, t0);
                t0 = System.nanoTime();
                // Every download is verified as a client must (sha256 while writing), the direct one too.
                try (InputStream in = s3.getObject(GetObjectArgs.builder().bucket("hookline").object("bench/direct-" + r)
                        .build())) {
                    hashInto(in, dir.resolve("direct.out"));
                }
                row[2] = rate(bytes, t0);
                t0 = System.nanoTime();
                client.downloadBlob(ref, dir.resolve("redirect.out"));
                row[3] = rate(bytes, t0);
                t0 = System.nanoTime();
                HttpResponse<InputStream> streamed = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                + RestAssured.port + "/api/blobs/" + ref.key())).header("Authorization", "Bearer " + worker)
                        .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
                try (InputStream in = streamed.body()) {
                    hashInto(in, dir.resolve("stream.out"));
                }
                row[4] = rate(bytes, t0);
                assertEquals(200, streamed.statusCode());
                assertEquals(ref.key().substring(7), sha256(dir.resolve("stream.out")));
                assertEquals(ref.key().substring(7), sha256(dir.resolve("redirect.out")));
                assertEquals(sha256(a), sha256(dir.resolve("direct.out")));
                rows.add(row);
                System.out.printf(Locale.ROOT, "round %d (%d MiB): PUT direct %.0f, registry %.0f MiB/s (%.2f); "
                                + "GET direct %.0f, registry redirect %.0f (%.2f), registry stream %.0f MiB/s (%.2f)%n",
                        r + 1, mib, row[0], row[1], row[1] / row[0], row[2], row[3], row[3] / row[2], row[4],
                        row[4] / row[2]);
            }
            double[] med = new double[5];
            for (int k = 0; k < 5; k++) {
                int kk = k;
                med[k] = rows.stream().mapToDouble(x -> x[kk]).sorted().toArray()[rows.size() / 2];
            }
            System.out.printf(Locale.ROOT, "median of %d rounds (%d MiB): PUT direct %.0f, registry %.0f MiB/s (ratio %.2f); "
                            + "GET direct %.0f, registry redirect %.0f (ratio %.2f), registry stream %.0f MiB/s (ratio %.2f)%n",
                    rounds, mib, med[0], med[1], med[1] / med[0], med[2], med[3], med[3] / med[2], med[4], med[4] / med[2]);
        } finally {
            try (var s = Files.list(dir)) {
                s.forEach(p -> p.toFile().delete());
            }
            Files.deleteIfExists(dir);
        }
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
