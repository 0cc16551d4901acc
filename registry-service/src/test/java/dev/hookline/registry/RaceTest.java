package dev.hookline.registry;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

import static dev.hookline.registry.Fixtures.as;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 26, unique-name races: 50 threads at once on one new channel, one new branch, one model
 * name and one node name. No 5xx; exactly one creator; the others get 409 (channel, model) or
 * succeed idempotently (branch submissions all land, node re-registration).
 */
@QuarkusTest
class RaceTest {

    private static final int THREADS = 50;
    private static final String ADMIN = HooklineTestResources.ADMIN_TOKEN;

    /** Runs {@code request(i)} on 50 threads released together; returns status -> count. */
    private static Map<Integer, Integer> race(IntFunction<Integer> request) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<Integer>> fs = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                int n = i;
                fs.add(pool.submit((Callable<Integer>) () -> {
                    start.await();
                    return request.apply(n);
                }));
            }
            start.countDown();
            Map<Integer, Integer> statuses = new TreeMap<>();
            for (Future<Integer> f : fs) {
                statuses.merge(f.get(), 1, Integer::sum);
            }
            return statuses;
        } finally {
            pool.shutdownNow();
        }
    }

    private static void noServerErrors(Map<Integer, Integer> statuses) {
        assertTrue(statuses.keySet().stream().allMatch(s -> s < 500), "server errors: " + statuses);
        assertEquals(THREADS, statuses.values().stream().mapToInt(Integer::intValue).sum());
    }

    @Test
    void fiftyCreatesOfOneChannel() throws Exception {
        String submitter = Fixtures.token(Fixtures.unique("rc-sub"), "SUBMITTER");
        String worker = Fixtures.token(Fixtures.unique("rc-w"), "WORKER");
        String reviewer = Fixtures.token(Fixtures.unique("rc-rev"), "REVIEWER");
        String releaser = Fixtures.token(Fixtures.unique("rc-rel"), "RELEASER");
        long model = Fixtures.model(Fixtures.unique("rc-model"));
        long version = Fixtures.version(submitter, worker, model, "main");
        as(reviewer).contentType(ContentType.JSON).body(Map.of("comment", "ok")).post("/api/versions/" + version + "/validate")
                .then().statusCode(200);
        Map<Integer, Integer> s = race(i -> as(releaser).contentType(ContentType.JSON)
                .body(Map.of("versionId", version, "reason", "race " + i))
                .put("/api/models/" + model + "/channels/prod").statusCode());
        noServerErrors(s);
        assertEquals(1, s.getOrDefault(200, 0), s.toString());
        assertEquals(THREADS - 1, s.getOrDefault(409, 0), s.toString());
        assertEquals(1L, HooklineTestResources.count("channel WHERE model_id = " + model));
        assertEquals(1L, HooklineTestResources.count("audit_event WHERE action = 'channel.moved' AND payload LIKE '%\"modelId\":"
                + model + ",%'"));
    }

    @Test
    void fiftySubmissionsOntoOneNewBranchAllLand() throws Exception {
        String submitter = Fixtures.token(Fixtures.unique("rb-sub"), "SUBMITTER");
        long model = Fixtures.model(Fixtures.unique("rb-model"));
        Map<Integer, Integer> s = race(i -> as(submitter).contentType(ContentType.JSON)
                .body(Fixtures.batchBody(model, "fresh", 1)).post("/api/batches").statusCode());
        noServerErrors(s);
        assertEquals(Map.of(201, THREADS), s);
        assertEquals(1L, HooklineTestResources.count("edit_branch WHERE model_id = " + model));
        assertEquals((long) THREADS, HooklineTestResources.count("edit_batch WHERE model_id = " + model));
        // Positions 1..50 without gaps or duplicates.
        assertEquals((long) THREADS, HooklineTestResources.count("(SELECT DISTINCT position FROM edit_batch WHERE model_id = "
                + model + " AND position BETWEEN 1 AND " + THREADS + ") p"));
    }

    @Test
    void fiftyRegistrationsOfOneModelName() throws Exception {
        String name = Fixtures.unique("rm-model");
        var ck = List.of(Fixtures.upload(ADMIN, "config.json", "{\"n_layer\":2}".getBytes()),
                Fixtures.upload(ADMIN, "model.safetensors", Fixtures.randomBytes(512)),
                Fixtures.upload(ADMIN, "tokenizer.json", "{\"model\":1}".getBytes()));
        Map<Integer, Integer> s = race(i -> as(ADMIN).contentType(ContentType.JSON)
                .body(Map.of("name", name, "architecture", "gpt2", "config", Map.of("n_layer", 2), "checkpoint", ck))
                .post("/api/models").statusCode());
        noServerErrors(s);
        assertEquals(1, s.getOrDefault(201, 0), s.toString());
        assertEquals(THREADS - 1, s.getOrDefault(409, 0), s.toString());
        assertEquals(1L, HooklineTestResources.count("base_model WHERE name = '" + name + "'"));
    }

    @Test
    void fiftyRegistrationsOfOneNodeName() throws Exception {
        String serving = Fixtures.token(Fixtures.unique("rn-serving"), "SERVING");
        String name = Fixtures.unique("rn-node");
        Map<Integer, Integer> s = race(i -> as(serving).contentType(ContentType.JSON)
                .body(Map.of("name", name, "address", "http://127.0.0.1:" + (9000 + i))).post("/api/nodes").statusCode());
        noServerErrors(s);
        assertEquals(THREADS, s.getOrDefault(200, 0) + s.getOrDefault(201, 0), s.toString());
        assertEquals(1L, HooklineTestResources.count("serving_node WHERE name = '" + name + "'"));
        assertEquals((long) THREADS, HooklineTestResources.count("audit_event WHERE action = 'node.registered' "
                + "AND payload LIKE '%\"name\":\"" + name + "\"%'"));
    }
}
