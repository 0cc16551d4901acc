/*
 * Registry JSON -> engine inputs: edits to EditRequest, method + hyperparameters to CoachHookParams,
 * and the refusals (unsupported method, unknown key, wrong type, invalid value) naming what is wrong.
 */
package dev.hookline.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.RegistryClient;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.edit.CoachHookParams;
import java.util.List;
import org.junit.jupiter.api.Test;

class EditMappingTest {
    static JsonNode json(String text) throws Exception {
        return RegistryClient.json().readTree(text);
    }

    @Test
    void editsBecomeEditRequestsInOrder() throws Exception {
        JsonNode batch = json("""
                {"id": 12, "edits": [
                  {"ordinal": 0, "subject": "Danielle Darrieux", "prompt": "The mother tongue of {} is",
                   "targetNew": "English", "targetTrue": "French", "paraphrases": ["Danielle Darrieux grew up speaking"],
                   "locality": [{"prompt": "The mother tongue of Leon Blum is", "expected": "French"}]},
                  {"ordinal": 1, "subject": "X", "prompt": "{} plays", "targetNew": "piano", "targetTrue": null,
                   "paraphrases": [], "locality": []}]}""");
        List<EditRequest> rs = EditMapping.requests(batch);
        assertEquals(2, rs.size());
        EditRequest r = rs.get(0);
        assertEquals("batch12.0", r.caseId());
        assertEquals("The mother tongue of Danielle Darrieux is", r.filledPrompt());
        assertEquals("English", r.targetNew());
        assertEquals("French", r.targetTrue());
        assertEquals(List.of("Danielle Darrieux grew up speaking"), r.paraphrasePrompts());
        assertEquals(List.of("The mother tongue of Leon Blum is"), r.localityPrompts());
        assertEquals(List.of("French"), r.localityTargets());
        assertNull(rs.get(1).targetTrue());
        assertThrows(IllegalArgumentException.class, () -> EditMapping.requests(json("{\"id\": 3, \"edits\": []}")));
    }

    @Test
    void hyperparametersOverrideTheEngineDefaults() throws Exception {
        EditMapping.Plan p = EditMapping.plan("coachhook-corpus", json("""
                {"layers": [1, 2], "lambda": 50, "alpha0": 1.5, "valueSteps": 20, "editToken": "subject", "statsLines": 300}"""),
                1000);
        CoachHookParams c = p.params();
        assertArrayEquals(new int[] {1, 2}, c.layers());
        assertEquals(50, c.lambda(), 0);
        assertEquals(1.5, c.alpha0(), 0);
        assertEquals("corpus", c.scope());
        assertEquals(20, c.valueStep().steps());
        assertEquals("subject", c.valueStep().editToken());
        assertEquals(300, p.statisticsLines());
        EditMapping.Plan d = EditMapping.plan("coachhook", null, 1000);
        assertEquals(CoachHookParams.defaults().lambda(), d.params().lambda(), 0);
        assertEquals("sequence", d.params().scope());
        assertEquals(1000, d.statisticsLines());
    }

    @Test
    void refusalsNameWhatIsWrong() throws Exception {
        String m = assertThrows(IllegalArgumentException.class, () -> EditMapping.plan("memit", null, 1000)).getMessage();
        assertTrue(m.contains("method 'memit' is not supported"), m);
        m = assertThrows(IllegalArgumentException.class, () -> EditMapping.plan("coachhook", json("{\"lamda\": 3}"), 1000))
                .getMessage();
        assertTrue(m.contains("unknown hyperparameter 'lamda'"), m);
        m = assertThrows(IllegalArgumentException.class, () -> EditMapping.plan("coachhook", json("{\"lambda\": \"big\"}"), 1000))
                .getMessage();
        assertTrue(m.contains("'lambda' must be a number"), m);
        m = assertThrows(IllegalArgumentException.class, () -> EditMapping.plan("coachhook", json("{\"layers\": [0, 1.5]}"), 1000))
                .getMessage();
        assertTrue(m.contains("'layers[1]' must be an integer"), m);
        m = assertThrows(IllegalArgumentException.class, () -> EditMapping.plan("coachhook", json("{\"lambda\": -1}"), 1000))
                .getMessage();
        assertTrue(m.startsWith("invalid hyperparameters: ") && m.contains("lambda"), m);
        m = assertThrows(IllegalArgumentException.class, () -> EditMapping.plan("coachhook", json("[1]"), 1000)).getMessage();
        assertTrue(m.contains("must be a JSON object"), m);
    }
}
