/*
 * Issue 25 console leftovers over HTTP against the real registry: the diff view shows the
 * registry's own tensor diff (norms and singular values of the difference per layer, which layers
 * moved), and bad ids and parameters in console URLs give an HTML 404/400 page, never raw JSON.
 */
package dev.hookline.registry.console;

import dev.hookline.registry.Fixtures;
import dev.hookline.registry.HooklineTestResources;
import dev.hookline.registry.governance.TensorDiffTest;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@QuarkusTestResource(HooklineTestResources.class)
class ConsoleDiffAndErrorsTest {

    @Test
    void diffViewShowsTheRegistrysTensorDiff() {
        String alice = Fixtures.token(Fixtures.unique("alice"), "SUBMITTER");
        String worker = Fixtures.token(Fixtures.unique("worker"), "WORKER");
        String viewer = Fixtures.token(Fixtures.unique("rev"), "REVIEWER");
        long model = Fixtures.model(Fixtures.unique("console-tdiff"));
        float[] eye = {1, 0, 0, 1};
        float[] moved = {4, 0, 4, 6}; // eye + [[3,0],[4,5]]: singular values of the change 6.7082, 2.2361
        float[] layer1 = new float[TensorDiffTest.DFF * TensorDiffTest.D];
        layer1[5] = 0.5f;
        long v1 = TensorDiffTest.version(alice, worker, model, Map.of(0, eye, 1, layer1), Map.of(0, 2.0, 1, 2.5));
        long v2 = TensorDiffTest.version(alice, worker, model, Map.of(0, moved, 1, layer1), Map.of(0, 1.9, 1, 2.5));
        ConsoleHttp c = ConsoleHttp.signIn(viewer);
        Response r = c.get("/models/" + model + "/diff?from=" + v1 + "&to=" + v2);
        assertEquals(200, r.statusCode(), r.asString());
        String html = r.asString();
        int section = html.indexOf("class=\"tensor-diff\"");
        assertTrue(section > 0, "tensor diff table on the diff page");
        String table = html.substring(section, html.indexOf("</table>", section));
        assertTrue(html.contains("Layers whose hook weights moved: 0."), "moved layers named");
        assertTrue(table.contains("6.7082, 2.2361"), "singular values of [[3,0],[4,5]]: " + table);
        assertTrue(table.contains("7.0711"), "||D||_F = sqrt 50: " + table);
        assertTrue(table.contains("<tr class=\"unchanged\"><th scope=\"row\">1</th>"), table);
        // from the base model every hooked layer moved
        String base = c.get("/models/" + model + "/diff?from=0&to=" + v2).asString();
        assertTrue(base.contains("Layers whose hook weights moved: 0, 1."), "base diff names both layers");
    }

    @Test
    void badIdsAndParametersGiveHtmlPages() {
        String viewer = Fixtures.token(Fixtures.unique("rev"), "REVIEWER");
        long model = Fixtures.model(Fixtures.unique("console-bad"));
        ConsoleHttp c = ConsoleHttp.signIn(viewer);
        for (String path : List.of("/models/999999999", "/versions/999999999", "/batches/999999999",
                "/nodes/999999999", "/models/" + model + "/channels/nope", "/versions/abc", "/models/abc",
                "/models/abc/diff", "/batches/-3", "/models/" + model + "/diff?from=abc",
                "/models/" + model + "/charts?leaf=x1", "/no-such-page")) {
            Response r = c.get(path);
            int status = r.statusCode();
            assertTrue(status == 404 || status == 400, path + " answered " + status);
            String type = r.getContentType();
            assertTrue(type != null && type.startsWith("text/html"), path + " answered " + type + ": " + r.asString());
            String body = r.asString();
            assertTrue(body.contains("<html") && body.contains("Back to") || body.contains("<main"),
                    path + " is a console page: " + body);
            assertFalse(body.trim().startsWith("{"), path + " answered JSON");
        }
    }
}
