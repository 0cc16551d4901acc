/*
 * Registry JSON -> engine inputs: edits to EditRequest, method + hyperparameters to CoachHookParams,
 * and the refusals (unsupported method, unknown key, wrong type, invalid value) naming what is wrong.
 */
package dev.hookline.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.RegistryClient;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.edit.CoachHookParams;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
        assertTrue(p.layersGiven());
        assertArrayEquals(new int[] {1, 2}, p.forModel(3, null).params().layers(), "named layers are kept");
        EditMapping.Plan d = EditMapping.plan("coachhook", null, 1000);
        assertEquals(1500, d.params().lambda(), 0, "the default record is the tuned one (docs/BENCHMARKS.md)");
        assertEquals(CoachHookParams.defaults().lambda(), d.params().lambda(), 0);
        assertEquals(0.002, d.params().valueStep().stopLoss(), 0);
        assertEquals("last", d.params().valueStep().editToken());
        assertEquals("sequence", d.params().scope());
        assertEquals(1000, d.statisticsLines());
        assertFalse(d.layersGiven());
    }

    /** The worker's default sample size is 0, the engine's max(1000, 5 d_ff / 2); a batch that names one names >= 1. */
    @Test
    void theDefaultStatisticsSampleFollowsTheModelAndANamedOneIsPositive() throws Exception {
        assertEquals(0, EditMapping.plan("codebook-nearest", null, 0).statisticsLines());
        assertEquals(0, WorkerConfig.builder(java.net.URI.create("http://localhost:1"), "t").build().statisticsLines(),
                "the worker's default is the engine's");
        assertEquals(12000, EditMapping.plan("codebook-nearest", json("{\"statsLines\": 12000}"), 0).statisticsLines());
        String zero = assertThrows(IllegalArgumentException.class,
                () -> EditMapping.plan("codebook-nearest", json("{\"statsLines\": 0}"), 0)).getMessage();
        assertTrue(zero.contains("'statsLines' must be >= 1"), zero);
    }

    @Test
    void defaultLayersAreTheModelsLastBlockOrTheParents() throws Exception {
        EditMapping.Plan d = EditMapping.plan("coachhook", json("{\"lambda\": 700}"), 1000);
        EditMapping.Plan three = d.forModel(3, null);
        assertArrayEquals(new int[] {2}, three.params().layers(), "last block of a 3-block model");
        assertEquals(700, three.params().lambda(), 0, "other overrides survive the resolution");
        assertArrayEquals(new int[] {0}, d.forModel(1, null).params().layers(), "a 1-block model edits block 0");
        assertArrayEquals(new int[] {5}, d.forModel(6, null).params().layers());
        assertArrayEquals(new int[] {0, 1}, d.forModel(3, new int[] {0, 1}).params().layers(),
                "a batch on a branch whose versions hook layers 0,1 continues on them");

        String m = assertThrows(IllegalArgumentException.class,
                () -> EditMapping.plan("coachhook", json("{\"layers\": [3]}"), 1000).forModel(3, null)).getMessage();
        assertTrue(m.contains("layer 3 does not exist in a model of 3 blocks"), m);
        m = assertThrows(IllegalArgumentException.class,
                () -> EditMapping.plan("coachhook", json("{\"layers\": [2]}"), 1000).forModel(3, new int[] {0, 1}))
                .getMessage();
        assertTrue(m.contains("differs from the parent version's editing layers [0, 1]"), m);
        assertArrayEquals(new int[] {0, 1},
                EditMapping.plan("coachhook", json("{\"layers\": [0, 1]}"), 1000).forModel(3, new int[] {0, 1})
                        .params().layers());
    }

    @Test
    void spanRelationMapsItsRecordAndTheEditsRelations() throws Exception {
        JsonNode batch = json("""
                {"id": 3, "edits": [
                  {"ordinal": 0, "subject": "A B", "prompt": "{} speaks", "targetNew": "French", "relation": "P103",
                   "paraphrases": [], "locality": []},
                  {"ordinal": 1, "subject": "C D", "prompt": "{} plays", "targetNew": "piano", "relation": null,
                   "paraphrases": [], "locality": []}]}""");
        List<EditRequest> rs = EditMapping.requests(batch);
        assertEquals("P103", rs.get(0).relation());
        assertNull(rs.get(1).relation(), "an unlabelled edit");
        EditMapping.Plan plan = EditMapping.plan("coachhook-span-relation", json("{\"scopeLambda\": 12}"), 1000)
                .forModel(3, null);
        assertEquals("span-relation", plan.params().scope());
        assertEquals(CoachHookParams.SPAN_RELATION_ALPHA0, plan.params().alpha0(), 0.0);
        assertEquals(12, plan.params().scopeLambda(), 0.0);
        assertEquals("span-relation", EditMapping.bundleScope("coachhook-span-relation"));
        EditMapping.Plan cont = plan.withParent(400, 12, 0.45);
        assertEquals(0.45, cont.params().alpha0(), 0.0, "the branch keeps the parent's threshold");
        // Relation spans hold the mean and plain keys by default; a branch keeps its parent's key set
        // unless the batch names one; other methods refuse the key.
        assertEquals(CoachHookParams.SCOPE_KEYS_MEAN_PLAIN, plan.params().scopeKeys());
        assertEquals(CoachHookParams.SCOPE_KEYS_MEAN,
                plan.withParent(400, 12, 0.45, CoachHookParams.SCOPE_KEYS_MEAN).params().scopeKeys());
        EditMapping.Plan named = EditMapping.plan("coachhook-span-relation", json("{\"scopeKeys\": \"mean+plain\"}"), 1000)
                .forModel(3, null).withParent(400, 15, 0.5, CoachHookParams.SCOPE_KEYS_MEAN);
        assertEquals(CoachHookParams.SCOPE_KEYS_MEAN_PLAIN, named.params().scopeKeys(), "named in the batch: kept");
        String keys = assertThrows(IllegalArgumentException.class,
                () -> EditMapping.plan("coachhook-span", json("{\"scopeKeys\": \"mean\"}"), 1000)).getMessage();
        assertTrue(keys.contains("coachhook-span-relation only"), keys);
        keys = assertThrows(IllegalArgumentException.class,
                () -> EditMapping.plan("coachhook-span-relation", json("{\"scopeKeys\": \"every\"}"), 1000)).getMessage();
        assertTrue(keys.contains("scopeKeys must be"), keys);
        // Two routes per key by default; the batch may name one; other methods and other counts are refused.
        assertEquals(CoachHookParams.SPAN_RELATION_ROUTES, plan.params().scopeRoutes());
        assertEquals(1, EditMapping.plan("coachhook-span-relation", json("{\"scopeRoutes\": 1}"), 1000).params()
                .scopeRoutes());
        String routes = assertThrows(IllegalArgumentException.class,
                () -> EditMapping.plan("coachhook-span", json("{\"scopeRoutes\": 2}"), 1000)).getMessage();
        assertTrue(routes.contains("coachhook-span-relation only"), routes);
        routes = assertThrows(IllegalArgumentException.class,
                () -> EditMapping.plan("coachhook-span-relation", json("{\"scopeRoutes\": 3}"), 1000)).getMessage();
        assertTrue(routes.contains("scopeRoutes must be 1 or 2"), routes);
        assertEquals(1, plan.withParent(400, 12, 0.45, CoachHookParams.SCOPE_KEYS_MEAN, 1).params().scopeRoutes(),
                "a branch keeps its parent's routes");
        assertEquals(2, EditMapping.plan("coachhook-span-relation", json("{\"scopeRoutes\": 2}"), 1000).forModel(3, null)
                .withParent(400, 12, 0.45, CoachHookParams.SCOPE_KEYS_MEAN, 1).params().scopeRoutes(),
                "named in the batch: kept");
        String m = assertThrows(IllegalArgumentException.class,
                () -> EditMapping.plan("coachhook-span-relation", json("{\"alpha0\": 1.5}"), 1000)).getMessage();
        assertTrue(m.contains("[0, 1)"), m);
    }

    @Test
    void nearestMapsToItsScopeRecordAndParent() throws Exception {
        EditMapping.Plan p = EditMapping.plan("coachhook-nearest", null, 1000).forModel(3, null);
        assertEquals("nearest", p.params().scope());
        assertEquals(CoachHookParams.NEAREST_ALPHA0, p.params().alpha0(), 0.0, "fixed threshold on the nearest key");
        assertEquals(CoachHookParams.SPAN_SCOPE_LAMBDA, p.params().scopeLambda(), 0.0);
        assertEquals(CoachHookParams.SCOPE_KEYS_MEAN_PLAIN, p.params().scopeKeys());
        assertArrayEquals(new int[] {2}, p.params().layers());
        assertEquals("nearest", EditMapping.bundleScope("coachhook-nearest"));
        var hp = EditMapping.advertisement().path("coachhook-nearest").path("hyperparameters");
        assertTrue(hp.has("scopeLambda") && hp.has("alpha0") && !hp.has("scopeKeys") && !hp.has("boostRounds"), hp.toString());
        EditMapping.Plan inherits = EditMapping.plan("coachhook-nearest", null, 1000).forModel(3, new int[] {2})
                .withParent(5000, 15, 0.3);
        assertEquals(0.3, inherits.params().alpha0(), 0.0, "a branch keeps its parent's threshold");
        assertEquals(5000, inherits.params().lambda(), 0.0);
        String m = assertThrows(IllegalArgumentException.class,
                () -> EditMapping.plan("coachhook-nearest", json("{\"alpha0\": 1.2}"), 1000)).getMessage();
        assertTrue(m.contains("[0, 1)"), m);
        m = assertThrows(IllegalArgumentException.class,
                () -> EditMapping.plan("coachhook-nearest", json("{\"scopeKeys\": \"mean\"}"), 1000)).getMessage();
        assertTrue(m.contains("coachhook-span-relation only"), m);
    }

    @Test
    void alphaEditNearestMapsToAlphaEditsUpdateUnderTheNearestScope() throws Exception {
        EditMapping.Plan p = EditMapping.plan("alphaedit-nearest", json("{\"nullspaceThreshold\": 0.2}"), 1000)
                .forModel(3, null);
        var record = p.alphaEditNearest();
        assertEquals(0.2, record.update().nullspaceThreshold(), 0.0);
        assertEquals(dev.hookline.engine.edit.AlphaEditParams.DEFAULT_L2, record.update().l2(), 0.0);
        assertEquals(CoachHookParams.NEAREST_ALPHA0, record.alpha0(), 0.0);
        assertArrayEquals(new int[] {2}, record.update().layers());
        assertEquals(record.toString(), p.hyperparameterRecord().toString(), "the version records AlphaEdit's record, not CoachHooK's");
        assertEquals("nearest", EditMapping.bundleScope("alphaedit-nearest"));
        var hp = EditMapping.advertisement().path("alphaedit-nearest").path("hyperparameters");
        assertTrue(hp.has("nullspaceThreshold") && hp.has("l2") && hp.has("alpha0") && hp.has("scopeLambda")
                && !hp.has("lambda"), hp.toString());
        assertTrue(!EditMapping.advertisement().path("coachhook-nearest").path("hyperparameters").has("l2"));
        EditMapping.Plan inherits = EditMapping.plan("alphaedit-nearest", null, 1000).forModel(3, new int[] {2})
                .withParent(0, 15, 0.4).withParentUpdate("alphaedit-nearest", "{\"update\": {\"nullspaceThreshold\": 0.7, \"l2\": 3}}");
        assertEquals(0.4, inherits.alphaEditNearest().alpha0(), 0.0, "a branch keeps its parent's threshold");
        assertEquals(0.7, inherits.alphaEditNearest().update().nullspaceThreshold(), 0.0, "and its null-space threshold");
        assertEquals(3, inherits.alphaEditNearest().update().l2(), 0.0);
        String m = assertThrows(IllegalArgumentException.class,
                () -> EditMapping.plan("alphaedit-nearest", json("{\"lambda\": 400}"), 1000)).getMessage();
        assertTrue(m.contains("does not apply"), m);
        m = assertThrows(IllegalArgumentException.class,
                () -> EditMapping.plan("coachhook-nearest", json("{\"l2\": 3}"), 1000)).getMessage();
        assertTrue(m.contains("alphaedit-nearest and alphaedit-shards only"), m);
        m = assertThrows(IllegalArgumentException.class,
                () -> EditMapping.plan("alphaedit-nearest", json("{\"nullspaceThreshold\": 0}"), 1000)).getMessage();
        assertTrue(m.contains("> 0"), m);
    }

    @Test
    void alphaEditShardsMapsToAlphaEditNearestWithAShardSize() throws Exception {
        EditMapping.Plan p = EditMapping.plan("alphaedit-shards", json("{\"shardEdits\": 500, \"l2\": 2}"), 1000)
                .forModel(3, null);
        var record = p.alphaEditShards();
        assertEquals(500, record.shardEdits());
        assertEquals(2, record.nearest().update().l2(), 0.0);
        assertEquals(record.toString(), p.hyperparameterRecord().toString(), "the version records the shards' record");
        assertEquals(dev.hookline.engine.edit.AlphaEditShardsParams.DEFAULT_SHARD_EDITS,
                EditMapping.plan("alphaedit-shards", null, 1000).alphaEditShards().shardEdits());
        // Its own dev-chosen threshold on a new branch; alphaedit-nearest keeps coachhook-nearest's.
        assertEquals(dev.hookline.engine.edit.AlphaEditShardsParams.DEFAULT_ALPHA0,
                EditMapping.plan("alphaedit-shards", null, 1000).alphaEditShards().nearest().alpha0(), 0.0);
        assertEquals(0.45, dev.hookline.engine.edit.AlphaEditShardsParams.DEFAULT_ALPHA0, 0.0);
        assertEquals(0.6, EditMapping.plan("alphaedit-shards", json("{\"alpha0\": 0.6}"), 1000).alphaEditShards()
                .nearest().alpha0(), 0.0, "named in the batch");
        assertEquals(0.3, EditMapping.plan("alphaedit-shards", null, 1000).forModel(3, new int[] {2})
                .withParent(0, 15, 0.3).alphaEditShards().nearest().alpha0(), 0.0,
                "a branch started at 0.3 keeps its threshold");
        assertEquals("nearest", EditMapping.bundleScope("alphaedit-shards"));
        var hp = EditMapping.advertisement().path("alphaedit-shards").path("hyperparameters");
        assertEquals("integer", hp.path("shardEdits").path("type").asText(), hp.toString());
        assertTrue(hp.has("nullspaceThreshold") && !hp.has("lambda"), hp.toString());
        assertTrue(!EditMapping.advertisement().path("alphaedit-nearest").path("hyperparameters").has("shardEdits"));
        // A branch keeps its parent's shard size and update unless the batch names them.
        String parent = "{\"nearest\": {\"update\": {\"nullspaceThreshold\": 0.7, \"l2\": 3}}, \"shardEdits\": 250}";
        EditMapping.Plan inherits = EditMapping.plan("alphaedit-shards", null, 1000).forModel(3, new int[] {2})
                .withParent(0, 15, 0.4).withParentUpdate("alphaedit-shards", parent);
        assertEquals(250, inherits.alphaEditShards().shardEdits());
        assertEquals(0.7, inherits.alphaEditShards().nearest().update().nullspaceThreshold(), 0.0);
        assertEquals(0.4, inherits.alphaEditShards().nearest().alpha0(), 0.0);
        EditMapping.Plan named = EditMapping.plan("alphaedit-shards", json("{\"shardEdits\": 2000}"), 1000)
                .forModel(3, new int[] {2}).withParentUpdate("alphaedit-shards", parent);
        assertEquals(2000, named.alphaEditShards().shardEdits(), "a batch's own shard size wins");
        String m = assertThrows(IllegalArgumentException.class,
                () -> EditMapping.plan("alphaedit-nearest", json("{\"shardEdits\": 100}"), 1000)).getMessage();
        assertTrue(m.contains("alphaedit-shards only"), m);
        m = assertThrows(IllegalArgumentException.class,
                () -> EditMapping.plan("alphaedit-shards", json("{\"shardEdits\": 0}"), 1000)).getMessage();
        assertTrue(m.contains(">= 1"), m);
        m = assertThrows(IllegalArgumentException.class,
                () -> EditMapping.plan("alphaedit-shards", json("{\"shardEdits\": 1.5}"), 1000)).getMessage();
        assertTrue(m.contains("integer"), m);
    }

    @Test
    void spanAndPlusMapToTheirScopesAndRecords() throws Exception {
        EditMapping.Plan span = EditMapping.plan("coachhook-span", null, 1000).forModel(3, null);
        String m0;
        assertEquals("coachhook-span", span.method());
        assertEquals("span", span.params().scope());
        assertEquals(CoachHookParams.SPAN_ALPHA0, span.params().alpha0(), 0.0, "fixed threshold on rho");
        assertEquals(CoachHookParams.SPAN_LAMBDA, span.params().lambda(), 0.0);
        assertEquals(0, span.params().boostRounds());
        assertArrayEquals(new int[] {2}, span.params().layers());
        assertEquals("span", EditMapping.bundleScope("coachhook-span"));
        EditMapping.Plan tuned = EditMapping.plan("coachhook-span", json("{\"alpha0\": 0.7, \"lambda\": 300}"), 1000);
        assertEquals(0.7, tuned.params().alpha0(), 0.0);
        assertEquals(300, tuned.params().lambda(), 0.0);
        assertEquals(CoachHookParams.SPAN_SCOPE_LAMBDA, tuned.params().scopeLambda(), 0.0,
                "without scopeLambda the record's scope lambda stays");
        assertEquals(CoachHookParams.VALUE_HOOKS_VALIDATED, tuned.params().valueHooks(), "the record's value step");
        EditMapping.Plan apart = EditMapping.plan("coachhook-span",
                json("{\"alpha0\": 0.99, \"lambda\": 400, \"scopeLambda\": 15}"), 1000).forModel(3, null);
        assertEquals(400, apart.params().lambda(), 0.0);
        assertEquals(15, apart.params().scopeLambda(), 0.0, "scopeLambda sets the span scope's lambda apart");
        assertTrue(apart.params().scopeDecoupled());
        // Continuing a span parent: lambdas the batch did not name are the parent's (older default record).
        EditMapping.Plan cont = EditMapping.plan("coachhook-span", json("{\"alpha0\": 0.9}"), 1000).forModel(3, new int[] {2})
                .withParent(1500, 1500, 0.8);
        assertEquals(1500, cont.params().lambda(), 0.0);
        assertEquals(1500, cont.params().scopeLambda(), 0.0);
        assertEquals(0.9, cont.params().alpha0(), 0.0, "a named threshold is the continued version's");
        EditMapping.Plan named = apart.withParent(1500, 1500, 0.8);
        assertEquals(400, named.params().lambda(), 0.0, "a named lambda stays (restore then refuses a mismatch)");
        assertEquals(15, named.params().scopeLambda(), 0.0);
        EditMapping.Plan inherits = EditMapping.plan("coachhook-span", null, 1000).forModel(3, new int[] {2})
                .withParent(400, 15, 0.87);
        assertEquals(0.87, inherits.params().alpha0(), 0.0, "without alpha0 the branch keeps the parent's threshold");
        assertEquals(400, inherits.params().lambda(), 0.0);
        EditMapping.Plan plain = EditMapping.plan("coachhook", null, 1000).withParent(10, 10, 1.5);
        assertEquals(CoachHookParams.DEFAULT_LAMBDA, plain.params().lambda(), 0.0, "z-score methods are untouched");
        assertEquals("temporary", EditMapping.plan("coachhook-span", json("{\"valueHooks\": \"temporary\"}"), 1000)
                .params().valueHooks());
        m0 = assertThrows(IllegalArgumentException.class,
                () -> EditMapping.plan("coachhook-span", json("{\"valueHooks\": \"always\"}"), 1000)).getMessage();
        assertTrue(m0.contains("'validated' or 'temporary'"), m0);
        m0 = assertThrows(IllegalArgumentException.class,
                () -> EditMapping.plan("coachhook", json("{\"scopeLambda\": 15}"), 1000)).getMessage();
        assertTrue(m0.contains("applies to coachhook-span, coachhook-span-relation, coachhook-nearest, alphaedit-nearest,"
                + " alphaedit-shards, codebook-nearest and codebook-subject only"), m0);
        m0 = assertThrows(IllegalArgumentException.class,
                () -> EditMapping.plan("coachhook-span", json("{\"scopeLambda\": -1}"), 1000)).getMessage();
        assertTrue(m0.contains("scope lambda must be finite and > 0"), m0);
        String m = assertThrows(IllegalArgumentException.class,
                () -> EditMapping.plan("coachhook-span", json("{\"alpha0\": 2.2}"), 1000)).getMessage();
        assertTrue(m.contains("rho in [0, 1)"), m);

        EditMapping.Plan plus = EditMapping.plan("coachhook-plus", json("{\"boostRounds\": 5}"), 1000);
        assertEquals("corpus", plus.params().scope());
        assertEquals(5, plus.params().boostRounds());
        assertEquals(3, EditMapping.plan("coachhook-plus", null, 1000).params().boostRounds(), "plusTuned's 3 rounds");
        assertEquals("corpus-z", EditMapping.bundleScope("coachhook-plus"));
        assertEquals("corpus", EditMapping.plan("coachhook-corpus", null, 1000).params().scope());
        assertEquals("sequence", EditMapping.plan("coachhook", null, 1000).params().scope());
        m = assertThrows(IllegalArgumentException.class,
                () -> EditMapping.plan("coachhook-span", json("{\"boostRounds\": 2}"), 1000)).getMessage();
        assertTrue(m.contains("coachhook-plus only"), m);
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

    @Test
    void codebookNearestHasItsThresholdNoLambdaAndOneLayer() throws Exception {
        EditMapping.Plan p = EditMapping.plan("codebook-nearest", null, 1000).forModel(3, null);
        var record = p.codebookNearest();
        assertEquals(dev.hookline.engine.edit.CodebookNearestParams.DEFAULT_ALPHA0, record.alpha0(), 0.0);
        assertEquals(0.5, record.alpha0(), 0.0);
        assertTrue(java.util.Arrays.equals(new int[] {2}, record.layers()), java.util.Arrays.toString(record.layers()));
        assertEquals(record, p.hyperparameterRecord());
        assertEquals("nearest", EditMapping.bundleScope("codebook-nearest"));
        assertEquals(0.3, EditMapping.plan("codebook-nearest", null, 1000).forModel(3, new int[] {2})
                .withParent(0, 15, 0.3).codebookNearest().alpha0(), 0.0, "a branch keeps its threshold");
        var hp = EditMapping.advertisement().path("codebook-nearest").path("hyperparameters");
        assertTrue(hp.has("alpha0") && hp.has("scopeLambda") && hp.has("layers"), hp.toString());
        assertEquals(1, hp.path("layers").path("maxItems").asInt(), "the registry refuses two layers at submission");
        assertTrue(EditMapping.advertisement().path("alphaedit-shards").path("hyperparameters").path("layers")
                .path("maxItems").isMissingNode(), "the other methods edit several layers");
        assertTrue(!hp.has("lambda") && !hp.has("valueHooks") && !hp.has("nullspaceThreshold") && !hp.has("shardEdits"),
                hp.toString());
        for (String bad : new String[] {"{\"lambda\": 400}", "{\"valueHooks\": \"temporary\"}", "{\"layers\": [1, 2]}",
                "{\"shardEdits\": 10}"}) {
            assertThrows(IllegalArgumentException.class, () -> EditMapping.plan("codebook-nearest", json(bad), 1000), bad);
        }
    }

    /**
     * codebook-subject takes codebook-nearest's record and rules (one layer, no lambda, no valueHooks, its threshold
     * from the batch, the model's defaults or the parent) and makes the engine's subject-gated editor.
     */
    @Test
    void codebookSubjectPlansLikeCodebookNearestAndMakesTheGatedEditor(@TempDir Path tmp) throws Exception {
        for (int[] parent : new int[][] {null, {2}}) {
            EditMapping.Plan subject = EditMapping.plan("codebook-subject", null, 1000).forModel(3, parent);
            EditMapping.Plan nearest = EditMapping.plan("codebook-nearest", null, 1000).forModel(3, parent);
            assertEquals(nearest.codebookNearest(), subject.codebookNearest(), "the same record");
            assertEquals(subject.codebookNearest(), subject.hyperparameterRecord());
            assertEquals(0.5, subject.codebookNearest().alpha0(), 0.0);
            assertArrayEquals(new int[] {2}, subject.codebookNearest().layers());
        }
        assertEquals("nearest", EditMapping.bundleScope("codebook-subject"));
        assertTrue(EditMapping.SUPPORTED_METHODS.contains("codebook-subject"));
        assertEquals(0.3, EditMapping.plan("codebook-subject", null, 1000).forModel(3, new int[] {2})
                .withParent(0, 15, 0.3).codebookNearest().alpha0(), 0.0, "a branch keeps its threshold");
        assertEquals(0.25, EditMapping.plan("codebook-subject", json("{\"alpha0\": 0.25, \"scopeLambda\": 20}"), 1000)
                .forModel(3, new int[] {2}).withParent(0, 15, 0.3).codebookNearest().alpha0(), 0.0, "unless it names one");
        var hp = EditMapping.advertisement().path("codebook-subject").path("hyperparameters");
        assertEquals(EditMapping.advertisement().path("codebook-nearest").path("hyperparameters"), hp,
                "the same schema as codebook-nearest's");
        assertEquals(1, hp.path("layers").path("maxItems").asInt(), "the registry refuses two layers at submission");
        assertTrue(hp.has("alpha0") && hp.has("scopeLambda") && !hp.has("lambda") && !hp.has("valueHooks"), hp.toString());
        for (String bad : new String[] {"{\"lambda\": 400}", "{\"valueHooks\": \"temporary\"}",
                "{\"layers\": [1, 2]}", "{\"shardEdits\": 10}", "{\"nullspaceThreshold\": 1}", "{\"alpha0\": 1.0}"}) {
            String m = assertThrows(IllegalArgumentException.class,
                    () -> EditMapping.plan("codebook-subject", json(bad), 1000), bad).getMessage();
            assertTrue(m.contains("codebook-subject"), m);
        }
        // The model's edit defaults stand in as for codebook-nearest; two default layers are refused.
        JsonNode defaults = json("{\"alpha0\": 0.2, \"layers\": [1], \"scopeLambda\": 20}");
        EditMapping.Plan first = EditMapping.plan("codebook-subject", json("{}"), defaults, 0).forModel(3, null);
        assertEquals(0.2, first.codebookNearest().alpha0(), 0.0);
        assertArrayEquals(new int[] {1}, first.codebookNearest().layers());
        assertEquals(20, first.codebookNearest().scopeLambda(), 0.0);
        String m = assertThrows(IllegalArgumentException.class, () -> EditMapping.plan("codebook-subject", null,
                json("{\"layers\": [0, 1]}"), 0)).getMessage();
        assertTrue(m.contains("exactly one layer") && m.contains("model's edit defaults"), m);

        // The editor: the engine's codebook-subject (subject-gated), not codebook-nearest.
        Path modelDir = dev.hookline.testkit.TestModels.tiny();
        try (var lm = dev.hookline.engine.infer.LanguageModel.load(modelDir)) {
            List<String> corpus = java.nio.file.Files.readAllLines(modelDir.resolve("world/corpus.txt")).subList(0, 64);
            for (String method : new String[] {"codebook-subject", "codebook-nearest"}) {
                EditMapping.Plan plan = EditMapping.plan(method, null, 64).forModel(lm.model().config().layerCount(), null);
                var stats = dev.hookline.engine.edit.LayerStatistics.loadOrCompute(lm.model(), lm.tokenizer(), corpus,
                        64, plan.params().layers(), tmp.resolve("stats"));
                try (var editor = EditMapping.editor(plan, lm.model(), lm.tokenizer(), stats)) {
                    assertEquals(method, editor.method());
                    assertArrayEquals(plan.codebookNearest().layers(), editor.layers());
                }
            }
        }
    }

    @Test
    void modelDefaultsStandInForTheMethodsDefaultsButNotForTheBatchOrTheParent() throws Exception {
        JsonNode defaults = json("{\"alpha0\": 0.2, \"layers\": [1], \"scopeLambda\": 20}");
        // A new branch: the model's threshold, layer and scope lambda, none of them "named by the batch".
        EditMapping.Plan first = EditMapping.plan("codebook-nearest", json("{}"), defaults, 0);
        assertEquals(0.2, first.params().alpha0(), 0.0);
        assertFalse(first.alphaGiven());
        assertArrayEquals(new int[] {1}, first.forModel(3, null).params().layers());
        assertEquals(20, first.forModel(3, null).params().scopeLambda(), 0.0);
        // A continued branch keeps its parent's layers and threshold.
        EditMapping.Plan cont = first.forModel(3, new int[] {2}).withParent(0, 15, 0.5);
        assertArrayEquals(new int[] {2}, cont.params().layers());
        assertEquals(0.5, cont.params().alpha0(), 0.0);
        assertEquals(15, cont.params().scopeLambda(), 0.0);
        // What the batch names wins over the model's defaults, and counts as named.
        EditMapping.Plan named = EditMapping.plan("codebook-nearest", json("{\"alpha0\": 0.35}"), defaults, 0);
        assertEquals(0.35, named.params().alpha0(), 0.0);
        assertEquals(0.35, named.forModel(3, new int[] {2}).withParent(0, 15, 0.5).params().alpha0(), 0.0);
        // No defaults, {} and a missing node are the method's own defaults.
        double own = EditMapping.plan("codebook-nearest", null, 0).params().alpha0();
        assertEquals(own, EditMapping.plan("codebook-nearest", null, json("{}"), 0).params().alpha0(), 0.0);
        assertEquals(own, EditMapping.plan("codebook-nearest", null, json("{}").path("x"), 0).params().alpha0(), 0.0);
        // Refusals name the cause: a key no model may set, a layer the model lacks, a bad merged value.
        String msg = assertThrows(IllegalArgumentException.class,
                () -> EditMapping.plan("codebook-nearest", null, json("{\"statsLines\": 5}"), 0)).getMessage();
        assertTrue(msg.contains("model default 'statsLines'"), msg);
        msg = assertThrows(IllegalArgumentException.class,
                () -> EditMapping.plan("codebook-nearest", null, json("{\"layers\": [7]}"), 0).forModel(3, null))
                .getMessage();
        assertTrue(msg.contains("the model's default 'layers'"), msg);
        msg = assertThrows(IllegalArgumentException.class,
                () -> EditMapping.plan("codebook-nearest", null, json("{\"alpha0\": 1.5}"), 0)).getMessage();
        assertTrue(msg.contains("model's edit defaults"), msg);
    }
}
