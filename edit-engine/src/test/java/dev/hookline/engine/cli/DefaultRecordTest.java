/*
 * Behaviour of the engine's default hyperparameter records (CoachHookParams / MemitParams /
 * ValueStepParams): the editing layer resolves to the model's last block (or the parent bundle's
 * layers), the baselines share CoachHooK's update and value step, options override the record and
 * invalid values are refused. The tuned values themselves are documented in docs/BENCHMARKS.md.
 */
package dev.hookline.engine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hookline.engine.bench.Methods;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.MemitParams;
import dev.hookline.engine.edit.ValueStepParams;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DefaultRecordTest {

    @Test
    void theDefaultEditingLayerIsTheLastBlockOfAnyModel() {
        for (int blocks = 1; blocks <= 12; blocks++) {
            int[] last = {blocks - 1};
            assertArrayEquals(last, CoachHookParams.defaults(blocks).layers(), blocks + " blocks");
            assertArrayEquals(last, CoachHookParams.defaultLayers(blocks), blocks + " blocks");
            // `hookline edit` without --layers resolves every closed-form method against the model.
            Methods opts = edit().methods(blocks, null);
            for (String name : List.of("coachhook", "coachhook-corpus", "coachhook-span")) {
                assertArrayEquals(last, ((CoachHookParams) opts.params(name)).layers(), name + " on " + blocks + " blocks");
            }
            assertArrayEquals(last, ((MemitParams) opts.params("memit")).layers(), "memit on " + blocks + " blocks");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CoachHookParams.defaultLayers(0));
        assertTrue(e.getMessage().contains("at least one block"), e.getMessage());
        // Statistics are computed for the layers the methods edit: one layer per closed-form method.
        Methods all = Methods.defaults(List.of());
        for (String name : Methods.NAMES) {
            if (!name.equals("ft") && !name.equals("ultraedit")) { // neither reads key statistics
                assertArrayEquals(CoachHookParams.defaults().layers(), all.statisticsLayers(List.of(name)), name);
            }
        }
    }

    @Test
    void alphaEditNearestHasItsOwnDevChosenThresholdAndTheNearestScope() {
        Methods d = edit().methods(3, null);
        var aen = (dev.hookline.engine.edit.AlphaEditNearestParams) d.params("alphaedit-nearest");
        assertEquals(dev.hookline.engine.edit.AlphaEditNearestParams.DEFAULT_THRESHOLD, aen.update().nullspaceThreshold(), 0);
        assertEquals(dev.hookline.engine.edit.AlphaEditParams.DEFAULT_THRESHOLD,
                ((dev.hookline.engine.edit.AlphaEditParams) d.params("alphaedit")).nullspaceThreshold(), 0,
                "the faithful alphaedit keeps the authors' threshold");
        assertEquals(CoachHookParams.NEAREST_ALPHA0, aen.alpha0(), 0);
        assertArrayEquals(new int[] {2}, aen.update().layers());
        Methods given = edit("--alphaedit-threshold", "0.2", "--nearest-alpha", "0.4").methods(3, null);
        var g = (dev.hookline.engine.edit.AlphaEditNearestParams) given.params("alphaedit-nearest");
        assertEquals(0.2, g.update().nullspaceThreshold(), 0);
        assertEquals(0.4, g.alpha0(), 0);
        assertEquals(aen.toString(), Methods.defaults(List.of()).alphaEditNearest().toString(),
                "the bench's default record is the edit command's on a 3-block model");
    }

    @Test
    void codebookNearestTakesItsOwnDefaultThresholdOrTheGivenOneOnTheLastLayer() {
        var c = (dev.hookline.engine.edit.CodebookNearestParams) edit().methods(3, null).params("codebook-nearest");
        assertEquals(0.5, c.alpha0(), 0, "its dev choice over two dev streams");
        assertArrayEquals(new int[] {2}, c.layers());
        var given = (dev.hookline.engine.edit.CodebookNearestParams) edit("--nearest-alpha", "0.6", "--layers", "1,2")
                .methods(3, null).params("codebook-nearest");
        assertEquals(0.6, given.alpha0(), 0);
        assertArrayEquals(new int[] {2}, given.layers(), "one layer: the last of those given");
    }

    @Test
    void theBaselinesShareCoachHooksUpdateAndValueStepSoComparisonsAreFair() {
        CoachHookParams d = CoachHookParams.defaults();
        MemitParams m = MemitParams.defaults();
        assertArrayEquals(d.layers(), m.layers());
        assertEquals(d.lambda(), m.lambda(), 0);
        assertEquals(d.valueStep(), m.valueStep());
        assertEquals(d.toString(), CoachHookParams.tuned().toString(), "tuned() names the default record");
        assertEquals(d.valueStep(), ValueStepParams.tuned());
        // Invalid records are refused when built, not when an edit runs.
        assertThrows(IllegalArgumentException.class, () -> new CoachHookParams(new int[] {1, 0}, d.lambda(), d.alpha0(),
                d.scope(), d.valueStep()));
        assertThrows(IllegalArgumentException.class, () -> new CoachHookParams(d.layers(), 0, d.alpha0(), d.scope(),
                d.valueStep()));
    }

    @Test
    void spanRecordsCarryTheirOwnScopeAndOptionsApplyToBoth() {
        CoachHookParams span = CoachHookParams.spanTuned();
        assertEquals("span", span.scope());
        assertEquals(CoachHookParams.VALUE_HOOKS_VALIDATED, span.valueHooks(), "the paper's value step");
        assertEquals(CoachHookParams.VALUE_HOOKS_VALIDATED, CoachHookParams.defaults().valueHooks());

        CoachHookParams relation = CoachHookParams.spanRelationTuned();
        assertEquals("span-relation", relation.scope());
        assertEquals(0.65, relation.alpha0(), 0);
        assertEquals(span.lambda(), relation.lambda(), 0);
        assertEquals(span.scopeLambda(), relation.scopeLambda(), 0);
        // The span options apply to both span methods; each has its own threshold option.
        Methods opts = edit("--span-lambda", "300", "--span-scope-lambda", "9", "--span-alpha", "0.8",
                "--span-relation-alpha", "0.45").methods(3, null);
        CoachHookParams r = (CoachHookParams) opts.params("coachhook-span-relation");
        assertEquals(300, r.lambda(), 0);
        assertEquals(9, r.scopeLambda(), 0);
        assertEquals(0.45, r.alpha0(), 0);
        assertEquals(0.8, ((CoachHookParams) opts.params("coachhook-span")).alpha0(), 0);
        assertEquals(0.65, ((CoachHookParams) edit().methods(3, null).params("coachhook-span-relation")).alpha0(), 0);
        // Relation spans hold the mean and the plain prompts' keys by default; --span-relation-keys picks.
        assertEquals(CoachHookParams.SCOPE_KEYS_MEAN_PLAIN, relation.scopeKeys());
        assertEquals(CoachHookParams.SCOPE_KEYS_MEAN_PLAIN,
                ((CoachHookParams) edit().methods(3, null).params("coachhook-span-relation")).scopeKeys());
        assertEquals(CoachHookParams.SCOPE_KEYS_MEAN,
                ((CoachHookParams) edit("--span-relation-keys", "mean").methods(3, null)
                        .params("coachhook-span-relation")).scopeKeys());
        assertEquals(CoachHookParams.SCOPE_KEYS_MEAN, span.scopeKeys(),
                "the one-span scope holds the mean keys only");
        IllegalArgumentException onSpan = assertThrows(IllegalArgumentException.class,
                () -> span.withScopeKeys(CoachHookParams.SCOPE_KEYS_MEAN_PLAIN));
        assertTrue(onSpan.getMessage().contains("span-relation option"), onSpan.getMessage());
        assertThrows(IllegalArgumentException.class, () -> relation.withScopeKeys("variants"));
        // A key is scored under its two nearest relations by default; --span-relation-routes picks.
        assertEquals(2, relation.scopeRoutes());
        assertEquals(1, ((CoachHookParams) edit("--span-relation-routes", "1").methods(3, null)
                .params("coachhook-span-relation")).scopeRoutes());
        assertEquals(1, span.scopeRoutes(), "the one-span scope has no routes to choose");
        IllegalArgumentException routesOnSpan = assertThrows(IllegalArgumentException.class, () -> span.withScopeRoutes(2));
        assertTrue(routesOnSpan.getMessage().contains("span-relation option"), routesOnSpan.getMessage());
        assertThrows(IllegalArgumentException.class, () -> relation.withScopeRoutes(3));
    }

    private static MethodOptions edit(String... args) {
        EditCommand cmd = new EditCommand();
        String[] base = {"--model", "m", "--data", "d.json", "--batch", "5", "--out", "o"};
        String[] all = new String[base.length + args.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(args, 0, all, base.length, args.length);
        new CommandLine(cmd).parseArgs(all);
        return cmd.options;
    }

    @Test
    void editResolvesTheDefaultLayerAgainstTheModelAndTheParent() {
        CoachHookParams twoBlocks = (CoachHookParams) edit().methods(2, null).params("coachhook");
        assertArrayEquals(new int[] {1}, twoBlocks.layers(), "last block of a 2-block model");
        assertEquals(1500, twoBlocks.lambda(), 0);
        CoachHookParams corpus = (CoachHookParams) edit().methods(2, null).params("coachhook-corpus");
        assertArrayEquals(new int[] {1}, corpus.layers());
        assertEquals("corpus", corpus.scope());

        CoachHookParams continued = (CoachHookParams) edit().methods(3, new int[] {0, 1}).params("coachhook");
        assertArrayEquals(new int[] {0, 1}, continued.layers(), "a parent bundle's layers are kept");

        CoachHookParams explicit = (CoachHookParams) edit("--layers", "0", "--lambda", "10", "--value-stop", "0.02")
                .methods(3, null).params("coachhook");
        assertArrayEquals(new int[] {0}, explicit.layers());
        assertEquals(10, explicit.lambda(), 0);
        assertEquals(0.02, explicit.valueStep().stopLoss(), 0);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> edit("--layers", "1,2").methods(2, null));
        assertTrue(e.getMessage().contains("layer 2 does not exist in a model of 2 blocks"), e.getMessage());

        CoachHookParams tunedFlag = (CoachHookParams) edit("--tuned").methods(3, null).params("coachhook");
        assertEquals(CoachHookParams.defaults().toString(), tunedFlag.toString(), "--tuned is accepted and changes nothing");
    }

    @Test
    void spanScopeLambdaOption() {
        CoachHookParams lambdaOnly = (CoachHookParams) edit("--span-lambda", "400").methods(3, null).params("coachhook-span");
        assertEquals(400, lambdaOnly.lambda(), 0);
        assertEquals(CoachHookParams.SPAN_SCOPE_LAMBDA, lambdaOnly.scopeLambda(), 0,
                "without --span-scope-lambda the record's scope lambda stays");
        assertEquals(CoachHookParams.VALUE_HOOKS_VALIDATED, lambdaOnly.valueHooks());
        CoachHookParams same = (CoachHookParams) edit("--span-lambda", "400", "--span-scope-lambda", "400")
                .methods(3, null).params("coachhook-span");
        assertTrue(!same.scopeDecoupled(), "a scope lambda equal to the update's makes the scope coupled again");
        CoachHookParams apart = (CoachHookParams) edit("--span-lambda", "400", "--span-scope-lambda", "15",
                "--span-alpha", "0.99").methods(3, null).params("coachhook-span");
        assertEquals(400, apart.lambda(), 0);
        assertEquals(15, apart.scopeLambda(), 0);
        assertEquals(0.99, apart.alpha0(), 0);
        assertTrue(apart.toString().contains("scopeLambda=15.0"), apart.toString());
        CoachHookParams faithful = (CoachHookParams) edit("--span-scope-lambda", "15").methods(3, null).params("coachhook");
        assertEquals(faithful.lambda(), faithful.scopeLambda(), 0, "other methods have no scope lambda of their own");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> edit("--span-scope-lambda", "0").methods(3, null));
        assertTrue(e.getMessage().contains("scope lambda must be finite and > 0"), e.getMessage());
        assertEquals("temporary", ((CoachHookParams) edit("--span-value-hooks", "temporary").methods(3, null)
                .params("coachhook-span")).valueHooks());
        assertEquals("validated", ((CoachHookParams) edit("--span-value-hooks", "temporary").methods(3, null)
                .params("coachhook")).valueHooks(), "the faithful record keeps the paper's value step");
        e = assertThrows(IllegalArgumentException.class, () -> edit("--span-value-hooks", "always").methods(3, null));
        assertTrue(e.getMessage().contains("'validated' or 'temporary'"), e.getMessage());
    }
}
