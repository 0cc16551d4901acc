/*
 * Issue 25, version diffs without a worker, over HTTP against the real registry (embedded
 * PostgreSQL, S3Proxy): versions whose serving blobs are real safetensors hook parts (delta.<l>
 * F32, alpha.<l> F64, written here byte by byte) are compared by the registry with ND4J; the
 * figures are checked against independent computations: a plain-Java loop for the Frobenius norm,
 * the closed-form singular values of [[3,0],[4,5]] (3 sqrt 5 and sqrt 5) and, for a random layer,
 * sum sigma_i^2 = ||D||_F^2.
 */
package dev.hookline.registry.governance;

import dev.hookline.registry.Fixtures;
import dev.hookline.registry.HooklineTestResources;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.hookline.registry.Fixtures.as;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@QuarkusTestResource(HooklineTestResources.class)
public class TensorDiffTest {

    public static final int DFF = 64;
    public static final int D = 16;
    private static final String[] SUBJECTS = {"Ada", "Bo", "Cy", "Di", "Ed", "Flo"};
    private static int next;

    @Test
    void registryComparesHookTensorsOfTwoVersions() {
        String alice = Fixtures.token(Fixtures.unique("alice"), "SUBMITTER");
        String worker = Fixtures.token(Fixtures.unique("worker"), "WORKER");
        String viewer = Fixtures.token(Fixtures.unique("viewer"), "REVIEWER");
        long model = Fixtures.model(Fixtures.unique("gov-tdiff"));
        Random rnd = new Random(25);
        float[] r1 = random(rnd, DFF * D);
        float[] r2 = random(rnd, DFF * D);
        float[] eye = {1, 0, 0, 1};
        float[] moved0 = {1 + 3, 0, 4, 1 + 5}; // eye + [[3,0],[4,5]]
        long v1 = version(alice, worker, model, Map.of(0, eye, 1, r1), Map.of(0, 2.0, 1, 2.5));
        long v2 = version(alice, worker, model, Map.of(0, moved0, 1, r1), Map.of(0, 1.9, 1, 2.5));
        long v3 = version(alice, worker, model, Map.of(0, eye, 1, r2), Map.of(0, 2.0, 1, 2.4));

        // v1 -> v2: layer 0 moved by [[3,0],[4,5]], layer 1 identical
        JsonPath d12 = diff(viewer, v1, v2, 5);
        assertEquals(List.of(0), d12.getList("movedLayers", Integer.class));
        assertEquals(2, d12.getList("layers").size());
        assertEquals(Math.sqrt(50), d12.getDouble("layers[0].diffNorm"), 1e-5);
        List<Float> sv = d12.getList("layers[0].singularValues", Float.class);
        assertEquals(2, sv.size(), "a 2x2 difference has two singular values");
        assertEquals(3 * Math.sqrt(5), sv.get(0), 1e-4);
        assertEquals(Math.sqrt(5), sv.get(1), 1e-4);
        assertEquals(1.0, d12.getDouble("layers[0].topEnergy"), 1e-5);
        assertEquals(2.0, d12.getDouble("layers[0].fromAlpha"), 1e-6);
        assertEquals(1.9, d12.getDouble("layers[0].toAlpha"), 1e-6);
        assertEquals(0.0, d12.getDouble("layers[1].diffNorm"), 0.0);
        assertFalse(d12.getBoolean("layers[1].moved"));
        assertEquals(plainNorm(r1, null), d12.getDouble("layers[1].fromNorm"), 1e-4);
        assertEquals(List.of(DFF, D), d12.getList("layers[1].shape", Integer.class));

        // v1 -> v3: layer 1 replaced by another random matrix, checked against a plain loop
        JsonPath d13 = diff(viewer, v1, v3, 16);
        assertEquals(List.of(1), d13.getList("movedLayers", Integer.class));
        double expected = plainNorm(r2, r1);
        double got = d13.getDouble("layers[1].diffNorm");
        assertEquals(expected, got, 1e-4 * expected);
        List<Float> all = d13.getList("layers[1].singularValues", Float.class);
        assertEquals(D, all.size(), "min(d_ff, d) singular values when top >= that");
        double sumSq = 0;
        for (int i = 0; i < all.size(); i++) {
            sumSq += (double) all.get(i) * all.get(i);
            if (i > 0) {
                assertTrue(all.get(i) <= all.get(i - 1) + 1e-6, "descending: " + all);
            }
        }
        assertEquals(expected * expected, sumSq, 1e-3 * expected * expected);

        // base (0) -> v2: the whole delta
        JsonPath d02 = diff(viewer, 0, v2, 3);
        assertEquals(List.of(0, 1), d02.getList("movedLayers", Integer.class));
        assertEquals(plainNorm(moved0, null), d02.getDouble("layers[0].diffNorm"), 1e-5);
        assertNull(d02.get("layers[0].fromAlpha"));
        assertEquals(0, d02.getInt("fromNumber"));

        // bad input: clear 4xx problems
        String base = "/api/versions/" + v1 + "/diff/" + v2 + "/tensors";
        as(viewer).get(base + "?top=0").then().statusCode(400);
        as(viewer).get(base + "?top=17").then().statusCode(400);
        as(viewer).get(base + "?top=many").then().statusCode(400);
        as(viewer).get("/api/versions/abc/diff/" + v2 + "/tensors").then().statusCode(400);
        as(viewer).get("/api/versions/" + v1 + "/diff/999999999/tensors").then().statusCode(404);
        // a version whose serving part is not a hook bundle
        long opaque = Fixtures.version(alice, worker, model, "side");
        as(viewer).get("/api/versions/" + v1 + "/diff/" + opaque + "/tensors").then().statusCode(422);
        // versions of two models
        long other = Fixtures.model(Fixtures.unique("gov-tdiff-other"));
        long w = version(alice, worker, other, Map.of(0, eye), Map.of(0, 2.0));
        as(viewer).get("/api/versions/" + v1 + "/diff/" + w + "/tensors").then().statusCode(409);
    }

    @Test
    void shardsAndCodebookRowsAreDiffedWithTheirLayer() {
        String alice = Fixtures.token(Fixtures.unique("alice"), "SUBMITTER");
        String worker = Fixtures.token(Fixtures.unique("worker"), "WORKER");
        String viewer = Fixtures.token(Fixtures.unique("viewer"), "REVIEWER");
        long model = Fixtures.model(Fixtures.unique("gov-tdiff-shards"));
        // Version A: a current delta, one earlier shard and a codebook of 3 rows (2x2, 2x2, 3x2 at layer 0).
        java.util.LinkedHashMap<String, float[][]> a = new java.util.LinkedHashMap<>();
        a.put("delta.0", new float[][] {{1, 0}, {0, 1}});
        a.put("delta.0.shard0", new float[][] {{2, 0}, {0, 2}});
        a.put("codebook.0", new float[][] {{0, 0}, {1, 2}, {3, 4}});
        // Version B: the current delta moved by [[3, 0], [4, 5]], the shard as it was, two codebook rows added.
        java.util.LinkedHashMap<String, float[][]> b = new java.util.LinkedHashMap<>();
        b.put("delta.0", new float[][] {{4, 0}, {4, 6}});
        b.put("delta.0.shard0", new float[][] {{2, 0}, {0, 2}});
        b.put("codebook.0", new float[][] {{0, 0}, {1, 2}, {3, 4}, {1, 1}, {2, 0}});
        long va = versionOf(alice, worker, model, named(a, Map.of(0, 2.0)));
        long vb = versionOf(alice, worker, model, named(b, Map.of(0, 2.0)));
        JsonPath d = diff(viewer, va, vb, 2);
        assertEquals(List.of(0), d.getList("movedLayers", Integer.class));
        assertEquals(1, d.getList("layers").size(), "the shard and the codebook belong to layer 0");
        assertEquals(List.of(9, 2), d.getList("layers[0].shape", Integer.class), "2 + 2 + 5 stacked rows of d = 2");
        double changed = 9 + 16 + 25 + 1 + 1 + 4; // the delta's move and the two new rows
        assertEquals(Math.sqrt(changed), d.getDouble("layers[0].diffNorm"), 1e-5);
        assertEquals(Math.sqrt(2 + 8 + 1 + 4 + 9 + 16), d.getDouble("layers[0].fromNorm"), 1e-5);
        assertEquals(Math.sqrt(16 + 16 + 36 + 8 + 1 + 4 + 9 + 16 + 1 + 1 + 4), d.getDouble("layers[0].toNorm"), 1e-5);
        List<Float> sv = d.getList("layers[0].singularValues", Float.class);
        assertEquals(2, sv.size());
        assertEquals(changed, (double) sv.get(0) * sv.get(0) + (double) sv.get(1) * sv.get(1), 1e-3 * changed,
                "all of D's energy in its two singular values");
        // From the base model: every tensor counts whole.
        JsonPath fromBase = diff(viewer, 0, va, 2);
        assertEquals(Math.sqrt(2 + 8 + 1 + 4 + 9 + 16), fromBase.getDouble("layers[0].diffNorm"), 1e-5);
    }

    /**
     * A serving part in the safetensors layout written by hand (8-byte LE header length, JSON header, LE data): the
     * given (rows, d) F32 tensors row by row, then alpha.<l> (1) F64 per layer of {@code alphas}.
     */
    private static byte[] named(java.util.LinkedHashMap<String, float[][]> tensors, Map<Integer, Double> alphas) {
        StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        long offset = 0;
        for (var e : tensors.entrySet()) {
            float[][] m = e.getValue();
            ByteBuffer buf = ByteBuffer.allocate(4 * m.length * m[0].length).order(ByteOrder.LITTLE_ENDIAN);
            for (float[] row : m) {
                for (float x : row) {
                    buf.putFloat(x);
                }
            }
            header.append(",\"").append(e.getKey()).append("\":{\"dtype\":\"F32\",\"shape\":[").append(m.length)
                    .append(',').append(m[0].length).append("],\"data_offsets\":[").append(offset).append(',')
                    .append(offset + buf.capacity()).append("]}");
            data.writeBytes(buf.array());
            offset += buf.capacity();
        }
        for (var e : new java.util.TreeMap<>(alphas).entrySet()) {
            header.append(",\"alpha.").append(e.getKey()).append("\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[")
                    .append(offset).append(',').append(offset + 8).append("]}");
            data.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(e.getValue()).array());
            offset += 8;
        }
        header.append('}');
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.writeBytes(h);
        out.writeBytes(data.toByteArray());
        return out.toByteArray();
    }

    private static JsonPath diff(String token, long from, long to, int top) {
        return as(token).get("/api/versions/" + from + "/diff/" + to + "/tensors?top=" + top)
                .then().statusCode(200).extract().jsonPath();
    }

    /** A version on main whose serving blob holds the given deltas (square 2x2 for layer 0, DFF x D else). */
    public static long version(String submitter, String worker, long model, Map<Integer, float[]> deltas,
                                Map<Integer, Double> alphas) {
        return versionOf(submitter, worker, model, safetensors(deltas, alphas));
    }

    /** A version on main whose serving blob is {@code st}. */
    static long versionOf(String submitter, String worker, long model, byte[] st) {
        String subject = SUBJECTS[next++ % SUBJECTS.length];
        GovernanceApi.submit(submitter, GovernanceApi.batch(model, "main", List.of(GovernanceApi.edit(subject, "P103",
                "The mother tongue of {} is", "French", "English")))).then().statusCode(201);
        String[] lease = Fixtures.lease(worker, model);
        var serving = List.of(Fixtures.upload(worker, "manifest.json",
                        ("{\"format\":\"test\",\"n\":" + st.length + "}").getBytes(StandardCharsets.UTF_8)),
                Fixtures.upload(worker, "serving.safetensors", st));
        return as(worker).contentType(ContentType.JSON).body(Fixtures.completion(lease[1], serving, List.of()))
                .post("/api/jobs/" + lease[0] + "/complete").then().statusCode(201).extract()
                .<Number>path("id").longValue();
    }

    /** The safetensors layout written by hand for {@link #named}: each delta (2x2 for 4 values, DFF rows else). */
    public static byte[] safetensors(Map<Integer, float[]> deltas, Map<Integer, Double> alphas) {
        java.util.LinkedHashMap<String, float[][]> tensors = new java.util.LinkedHashMap<>();
        for (var e : new java.util.TreeMap<>(deltas).entrySet()) {
            float[] v = e.getValue();
            int rows = v.length == 4 ? 2 : DFF;
            int cols = v.length / rows;
            float[][] m = new float[rows][cols];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(v, r * cols, m[r], 0, cols);
            }
            tensors.put("delta." + e.getKey(), m);
        }
        return named(tensors, alphas);
    }

    private static float[] random(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian() * 0.01f;
        }
        return v;
    }

    /** ||a - b||_F with a plain loop in double (b may be null: ||a||_F). */
    private static double plainNorm(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - (b == null ? 0 : (double) (float) b[i]);
            s += d * d;
        }
        return Math.sqrt(s);
    }

}
