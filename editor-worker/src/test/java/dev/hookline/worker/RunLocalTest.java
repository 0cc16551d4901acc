/*
 * `worker run-local`: a job's compute from local files writes the bundle the registry would get;
 * a chained second batch continues it, and the bundle, loaded fresh the way a serving node loads
 * it (HookedModel.open on the CPU), gives the answers the worker's evaluation reported. Bad input
 * is a usage error with nothing written.
 */
package dev.hookline.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.data.CounterFactDataset;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bundle.HookBundle;
import dev.hookline.engine.bundle.HookedModel;
import dev.hookline.testkit.TestModels;
import dev.hookline.worker.cli.WorkerCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunLocalTest {

    @Test
    void aLocalJobWritesABundleThatServesTheEvaluatedAnswers(@TempDir Path tmp) throws Exception {
        Path model = TestModels.copy(TestModels.tiny(), tmp.resolve("model"));
        Path cases = model.resolve("world/counterfact.json");
        List<EditRequest> all = CounterFactDataset.toEditRequests(CounterFactDataset.load(cases));
        Path first = tmp.resolve("v1");
        assertEquals(0, WorkerCli.execute("run-local", "--device", "cpu", "--model", model.toString(),
                "--cases", cases.toString(), "--edits", "8", "--out", first.toString()));
        assertTrue(Files.isRegularFile(first.resolve(HookBundle.MANIFEST)));
        assertTrue(Files.isRegularFile(first.resolve(HookBundle.SERVING)));
        assertTrue(Files.isRegularFile(first.resolve(HookBundle.EDITING)));

        Path second = tmp.resolve("v2");
        List<EditRequest> batch = all.subList(8, 16);
        ObjectNode completion = LocalJobs.run(model, first, dev.hookline.worker.cli.WorkerCliAccess.batchView("coachhook", batch),
                all.subList(0, 8), model.resolve("world/corpus.txt"), 1000, second);
        assertEquals(second.toString(), completion.path("bundle").asText());
        assertEquals(16, completion.path("metrics").path("editsCumulative").asInt());
        assertEquals(8, completion.path("metrics").path("regression").path("edits").asInt());
        assertEquals(HookBundle.digest(second), completion.path("metrics").path("bundleManifestSha256").asText());
        for (String phase : List.of("statistics", "compute", "evaluate")) {
            assertTrue(completion.path("metrics").path("phaseSeconds").path(phase).asDouble(-1) >= 0, phase);
        }
        double reported = completion.path("metrics").path("batch").path("reliability").asDouble();
        double regression = completion.path("metrics").path("regression").path("reliability").asDouble();

        // A serving node's view: the checkpoint plus the bundle files, nothing of the editor.
        try (HookedModel served = HookedModel.open(model, second)) {
            assertEquals(16, served.edits());
            assertEquals(HookBundle.digest(second), served.bundleDigest());
            assertEquals(reported, reliability(served, batch), 1e-9, "this batch's reliability");
            assertEquals(regression, reliability(served, all.subList(0, 8)), 1e-9, "the earlier batch's reliability");
        }
        assertTrue(reported > 0.5, "the edits took: " + reported);
    }

    @Test
    void badInputIsAUsageErrorAndWritesNothing(@TempDir Path tmp) throws Exception {
        Path model = TestModels.tiny();
        Path out = tmp.resolve("never");
        assertEquals(2, WorkerCli.execute("run-local", "--model", model.toString(), "--out", out.toString()));
        assertEquals(2, WorkerCli.execute("run-local", "--model", tmp.toString(), "--cases",
                model.resolve("world/counterfact.json").toString(), "--out", out.toString()));
        assertEquals(2, WorkerCli.execute("run-local", "--model", model.toString(), "--cases",
                model.resolve("world/counterfact.json").toString(), "--edits", "100000", "--out", out.toString()));
        assertEquals(2, WorkerCli.execute("run-local", "--device", "tpu", "--model", model.toString(), "--cases",
                model.resolve("world/counterfact.json").toString(), "--out", out.toString()));
        assertFalse(Files.exists(out));
    }

    private static double reliability(HookedModel served, List<EditRequest> requests) {
        double sum = 0;
        for (EditRequest r : requests) {
            sum += served.score(r.filledPrompt(), r.targetNew()).accuracy();
        }
        return sum / requests.size();
    }
}
