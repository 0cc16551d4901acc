package dev.hookline.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.hookline.registry.Fixtures.as;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 26, dangling versions: 100 rounds of DELETE /api/blobs/... racing the completion that
 * names that blob. In every round exactly one wins (delete 200 and completion 422, or completion
 * 201 and delete 409), and afterwards no version references a blob that is not stored.
 */
@QuarkusTest
class BlobRaceTest {

    private static final int ROUNDS = 100;
    private static final String ADMIN = HooklineTestResources.ADMIN_TOKEN;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void deleteRacingCompletionNeverLeavesAVersionWithoutItsBlob() throws Exception {
        String submitter = Fixtures.token(Fixtures.unique("br-sub"), "SUBMITTER");
        String worker = Fixtures.token(Fixtures.unique("br-w"), "WORKER");
        long model = Fixtures.model(Fixtures.unique("br-model"));
        var stable = Fixtures.upload(worker, "manifest.json", Fixtures.randomBytes(64));
        List<Map<String, Object>> blobs = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            blobs.add(Fixtures.upload(worker, "serving.safetensors", Fixtures.randomBytes(128)));
            Fixtures.batch(submitter, model, "race" + i, 1); // one branch each: all leasable at once
        }
        // Object-store times have whole seconds; a blob stored during a live lease is protected.
        Thread.sleep(2_100);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        int deletes = 0;
        int completions = 0;
        try {
            for (int i = 0; i < ROUNDS; i++) {
                String[] lease = Fixtures.lease(worker, model);
                Map<String, Object> blob = blobs.get(i);
                String hex = ((String) blob.get("key")).substring(7);
                var body = Fixtures.completion(lease[1], List.of(stable, blob), List.of());
                CountDownLatch go = new CountDownLatch(1);
                Future<Integer> del = pool.submit(() -> {
                    go.await();
                    return as(ADMIN).delete("/api/blobs/sha256/" + hex).statusCode();
                });
                Future<Integer> done = pool.submit(() -> {
                    go.await();
                    return as(worker).contentType(ContentType.JSON).body(body).post("/api/jobs/" + lease[0] + "/complete")
                            .statusCode();
                });
                go.countDown();
                int d = del.get();
                int c = done.get();
                boolean deleted = d == 200 && c == 422;
                boolean completed = c == 201 && d == 409;
                assertTrue(deleted || completed, "round " + i + ": delete " + d + ", complete " + c);
                deletes += deleted ? 1 : 0;
                completions += completed ? 1 : 0;
                if (deleted) {
                    as(worker).contentType(ContentType.JSON).body(Map.of("leaseToken", lease[1], "error", "blob gone"))
                            .post("/api/jobs/" + lease[0] + "/fail").then().statusCode(200);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("blob race: %d rounds, %d deletes won, %d completions won%n", ROUNDS, deletes, completions);
        assertEquals(ROUNDS, deletes + completions);
        assertEquals((long) completions, HooklineTestResources.count("hook_version WHERE model_id = " + model));
        assertEquals(0, versionsWithMissingBlobs(model));
    }

    /** Versions of {@code model} naming a blob the store does not hold (HEAD answers 404). */
    static int versionsWithMissingBlobs(long model) throws Exception {
        int missing = 0;
        try (Connection c = HooklineTestResources.superuser(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT manifest_json FROM hook_version"
                     + (model > 0 ? " WHERE model_id = " + model : ""))) {
            while (rs.next()) {
                JsonNode m = JSON.readTree(rs.getString(1));
                boolean ok = true;
                for (JsonNode e : m.path("serving")) {
                    ok &= head(e.path("key").asText());
                }
                for (JsonNode e : m.path("editing")) {
                    ok &= head(e.path("key").asText());
                }
                missing += ok ? 0 : 1;
            }
        }
        return missing;
    }

    private static boolean head(String key) {
        return as(ADMIN).head("/api/blobs/" + key).statusCode() == 200;
    }
}
