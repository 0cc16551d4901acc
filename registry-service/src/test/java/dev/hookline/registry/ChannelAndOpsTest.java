package dev.hookline.registry;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.hookline.registry.Fixtures.as;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Concurrent channel moves never lose one (exactly one wins, the others get 409), and the
 * operational endpoints answer: readiness (database + object store), metrics, OpenAPI.
 */
@QuarkusTest
class ChannelAndOpsTest {

    @Test
    void concurrentMovesExpectingTheSameVersionHaveExactlyOneWinner() throws Exception {
        String submitter = Fixtures.token(Fixtures.unique("sub"), "SUBMITTER");
        String reviewer = Fixtures.token(Fixtures.unique("rev"), "REVIEWER");
        String worker = Fixtures.token(Fixtures.unique("worker"), "WORKER");
        long model = Fixtures.model(Fixtures.unique("channel-model"));
        List<Long> versions = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Fixtures.batch(submitter, model, "main", 1);
            Response lease = as(worker).contentType(ContentType.JSON).body(Map.of("modelId", model)).post("/api/jobs/lease");
            var serving = List.of(Fixtures.upload(worker, "hook.layer0.W_h", Fixtures.randomBytes(64)));
            long v = as(worker).contentType(ContentType.JSON)
                    .body(Fixtures.completion(lease.path("leaseToken"), serving, List.of()))
                    .post("/api/jobs/" + lease.<Number>path("job.id").longValue() + "/complete")
                    .then().statusCode(201).extract().<Number>path("id").longValue();
            as(reviewer).contentType(ContentType.JSON).body(Map.of("comment", "ok"))
                    .post("/api/versions/" + v + "/validate").then().statusCode(200);
            versions.add(v);
        }
        List<String> releasers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            releasers.add(Fixtures.token(Fixtures.unique("rel" + i), "RELEASER"));
        }
        String path = "/api/models/" + model + "/channels/canary";
        as(releasers.get(0)).contentType(ContentType.JSON).body(Map.of("versionId", versions.get(0), "reason", "start"))
                .put(path).then().statusCode(200);

        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Future<Integer>> results = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String token = releasers.get(i);
            long target = versions.get(i + 1);
            Callable<Integer> move = () -> as(token).contentType(ContentType.JSON)
                    .body(Map.of("versionId", target, "expectedVersionId", versions.get(0), "reason", "race"))
                    .put(path).statusCode();
            results.add(pool.submit(move));
        }
        List<Integer> statuses = new ArrayList<>();
        for (Future<Integer> f : results) {
            statuses.add(f.get());
        }
        pool.shutdown();
        assertEquals(1, statuses.stream().filter(s -> s == 200).count(), "statuses " + statuses);
        assertEquals(2, statuses.stream().filter(s -> s == 409).count(), "statuses " + statuses);
        Response ch = as(releasers.get(0)).get(path);
        ch.then().statusCode(200).body("history", hasSize(2));
        assertEquals(ch.<Number>path("versionId").longValue(), ch.<Number>path("history[0].toVersionId").longValue());

        // Rolling back to a named version is recorded too (one the race did not leave current: a
        // move to the current version is refused).
        long current = ch.<Number>path("versionId").longValue();
        long named = versions.subList(1, 4).stream().filter(v -> v != current).findFirst().orElseThrow();
        as(releasers.get(1)).contentType(ContentType.JSON)
                .body(Map.of("toVersionId", named, "reason", "named rollback")).post(path + "/rollback")
                .then().statusCode(200).body("versionId", equalTo((int) named))
                .body("history", hasSize(3)).body("history[0].kind", equalTo("ROLLBACK"));
    }

    private static double value(String metrics, String name) {
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name + " ") || (name.contains("{") && line.startsWith(name))) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("metric " + name + " missing");
    }

    @Test
    void healthMetricsAndOpenApiAnswer() {
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.name", hasItem("object-store"));
        try {
            Thread.sleep(1100); // the gauges cache their snapshot for one second
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        for (String name : List.of("hookline_batches{", "hookline_oldest_lease_age_seconds", "hookline_audit_events")) {
            if (!metrics.contains(name)) {
                throw new AssertionError("metric " + name + " missing");
            }
        }
        assertEquals(HooklineTestResources.count("audit_event"), (long) value(metrics, "hookline_audit_events"));
        assertEquals(HooklineTestResources.count("edit_batch WHERE status = 'VALIDATED'"),
                (long) value(metrics, "hookline_batches{status=\"VALIDATED\""));
        given().get("/q/openapi").then().statusCode(200).body(containsString("/api/jobs/lease"));
    }
}
