/*
 * `hookline logits` on Hugging Face-written checkpoints: the JSON form exactly as documented, with
 * transformers' ids and top logits; usage errors exit 2 with a clear message.
 */
package dev.hookline.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hookline.engine.model.HfArchitecturesTest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Iterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class LogitsCommandTest {

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new HooklineCli());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        cli.setExecutionExceptionHandler((e, line, parsed) -> {
            line.getErr().println("hookline " + line.getCommandName() + ": " + e.getMessage());
            return e instanceof IllegalArgumentException ? 2 : 1;
        });
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void jsonHasTheDocumentedShapeAndTransformersValues() throws Exception {
        for (String fixture : new String[] {"hf-llama-micro", "hf-gpt2-micro"}) {
            Path dir = HfArchitecturesTest.fixture(fixture);
            JsonNode golden = new ObjectMapper().readTree(dir.resolve("golden.json").toFile()).get("cases").get(0);
            Run r = run("logits", "--model", dir.toString(), "--prompt", golden.get("prompt").asText(), "--top", "3",
                    "--json");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().startsWith("{\"ids\": [") && r.out().contains("], \"positions\": [{\"top\": [{\"id\": ")
                    && r.out().contains(", \"logit\": "), r.out());
            JsonNode json = new ObjectMapper().readTree(r.out());
            Iterator<String> keys = json.fieldNames();
            assertEquals("ids", keys.next());
            assertEquals("positions", keys.next());
            assertEquals(golden.get("input_ids"), json.get("ids"));
            assertEquals(golden.get("input_ids").size(), json.get("positions").size());
            for (int t = 0; t < json.get("positions").size(); t++) {
                JsonNode top = json.get("positions").get(t).get("top");
                assertEquals(3, top.size());
                for (int k = 0; k < 3; k++) {
                    assertEquals(golden.get("top5_ids").get(t).get(k).asInt(), top.get(k).get("id").asInt(),
                            fixture + " position " + t + " rank " + k);
                    assertEquals(golden.get("top5_logits").get(t).get(k).asDouble(), top.get(k).get("logit").asDouble(),
                            1e-4);
                }
            }
        }
    }

    @Test
    void badInputExitsTwoWithAMessage(@TempDir Path tmp) throws Exception {
        Run notCheckpoint = run("logits", "--model", tmp.toString(), "--prompt", "x");
        assertEquals(2, notCheckpoint.code());
        assertTrue(notCheckpoint.err().contains("is not a checkpoint directory (no config.json)"), notCheckpoint.err());
        Run badTop = run("logits", "--model", HfArchitecturesTest.fixture("hf-qwen2-micro").toString(), "--prompt", "x",
                "--top", "0");
        assertEquals(2, badTop.code());
        assertTrue(badTop.err().contains("--top must be >= 1"), badTop.err());
    }
}
