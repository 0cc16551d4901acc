/*
 * Unit tests of the console's view layer: registry JSON (docs/API.md, SHARED-CONTRACTS.md
 * metrics) to page records and chart specs; absent fields become "—", never an error.
 */
package dev.hookline.console.view;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ViewsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String s) throws Exception {
        return JSON.readTree(s.replace('\'', '"'));
    }

    @Test
    void metricsMissingInOlderVersionsRenderAsDashes() throws Exception {
        Views.MetricsView old = Views.MetricsView.of(json("{'reliability': 0.9, 'generality': 0.8, 'locality': 0.95}"));
        assertEquals("0.900", old.reliability());
        assertEquals("—", old.regressionReliability());
        assertEquals("—", old.batchEdits());
        assertEquals("—", old.regressionSampled());
        assertEquals(List.of(), old.layers());
        assertFalse(old.hasZScores());
        // wrong types and nulls are absent values too, not errors
        Views.MetricsView odd = Views.MetricsView.of(json("{'reliability': 'high', 'locality': null, 'layers': 5}"));
        assertEquals("—", odd.reliability());
        assertEquals("—", odd.locality());
        Views.MetricsView none = Views.MetricsView.of(null);
        assertEquals("—", none.generality());
    }

    @Test
    void fullMetricsAreFormatted() throws Exception {
        Views.MetricsView m = Views.MetricsView.of(json("{'reliability': 0.97, 'regression': {'reliability': 0.96,"
                + " 'edits': 30, 'sampled': true}, 'layers': [{'layer': 0, 'deltaNorm': 1.23456, 'stepNorm': 0.4}],"
                + " 'zScores': {'edges': [0, 1], 'layers': [{'layer': 0, 'edited': [1], 'other': [2]}]}}"));
        assertEquals("0.970", m.reliability());
        assertEquals("0.960", m.regressionReliability());
        assertEquals("30", m.regressionEdits());
        assertEquals("yes", m.regressionSampled());
        Views.MetricsView first = Views.MetricsView.of(json("{'reliability': 1.0, 'regression': {'reliability': 0,"
                + " 'generality': 0, 'edits': 0}}"));
        assertEquals("n/a", first.regressionReliability(), "an empty sample is not a 0");
        assertEquals("n/a", first.regressionGenerality());
        assertEquals("1.2346", m.layers().get(0).deltaNorm());
        assertTrue(m.hasZScores());
    }

    @Test
    void alpha0IsReadFromEveryMethodsRecord() throws Exception {
        assertEquals(2.2, Charts.hyperparameterAlpha0(json("{'alpha0': 2.2, 'lambda': 1500}")), 0.0);
        assertEquals(0.45, Charts.hyperparameterAlpha0(json("{'nearest': {'alpha0': 0.45}, 'shardEdits': 1000}")), 0.0);
        assertEquals(null, Charts.hyperparameterAlpha0(json("{'learningRate': 0.001}")));
        assertEquals(0.45, Charts.alpha0(List.of(json("{'hyperparameters': {'nearest': {'alpha0': 0.45}},"
                + " 'alpha': [{'layer': 2, 'before': 0.3}]}"))), 0.0, "the record's alpha0 before alpha's history");
    }

    @Test
    void zScoreChartsNormaliseEachGroupToShares() throws Exception {
        JsonNode v = json("{'metrics': {'zScores': {'edges': [-1, 0, 1, 2], 'layers': ["
                + "{'layer': 3, 'edited': [0, 1, 3], 'other': [10, 20, 10]}]}}}");
        List<Charts.ChartView> charts = Charts.zScores("z", v);
        assertEquals(1, charts.size());
        Charts.ChartView c = charts.get(0);
        assertEquals("z-3", c.id());
        assertEquals(3, c.rows().size());
        assertEquals(List.of("1.00 to 2.00", "3", "75.0 %", "10", "25.0 %"), c.rows().get(2));
        JsonNode spec = JSON.readTree(c.spec());
        double sumEdited = 0;
        for (JsonNode x : spec.path("series").get(0).path("values")) {
            sumEdited += x.asDouble();
        }
        assertEquals(1.0, sumEdited, 1e-12);
        assertEquals(2.0, spec.path("xMax").asDouble(), 0.0);
        // no histogram, or a malformed one: no chart, no error
        assertEquals(0, Charts.zScores("z", json("{'metrics': {}}")).size());
        assertEquals(0, Charts.zScores("z", json("{'metrics': {'zScores': {'edges': [1]}}}")).size());
    }

    @Test
    void qualityChartFollowsThePathWithGapsForMissingMetrics() throws Exception {
        List<JsonNode> path = List.of(
                json("{'number': 1, 'editsCumulative': 10, 'metrics': {'reliability': 0.9}}"),
                json("{'number': 2, 'editsCumulative': 20, 'metrics': {'reliability': 0.8, 'regression': {'reliability': 0.7}}}"));
        Charts.ChartView c = Charts.quality("q", path);
        JsonNode spec = JSON.readTree(c.spec());
        assertEquals(List.of(10.0, 20.0), JSON.convertValue(spec.path("x"), List.class));
        JsonNode regression = spec.path("series").get(3).path("values");
        assertTrue(regression.get(0).isNull(), "a gap, not a zero");
        assertEquals(0.7, regression.get(1).asDouble(), 0.0);
        assertEquals(List.of("v1", "10", "0.900", "—", "—", "—", "—"), c.rows().get(0));
    }

    @Test
    void chartJsonCannotCloseItsScriptElement() {
        String safe = Charts.scriptSafe("{\"label\":\"</script><script>alert(1)</script>\"}");
        assertFalse(safe.contains("<"));
        assertFalse(safe.contains(">"));
    }

    @Test
    void batchProgressText() throws Exception {
        Views.BatchRow running = Views.BatchRow.of(json("{'id': 4, 'status': 'RUNNING', 'progress': {'phase': 'evaluate', 'percent': 80}}"));
        assertEquals("evaluate 80 %", running.progressText());
        assertEquals(80, running.percent());
        assertTrue(running.active());
        Views.BatchRow done = Views.BatchRow.of(json("{'id': 4, 'status': 'COMPUTED', 'resultVersionId': 9}"));
        assertEquals(100, done.percent());
        assertFalse(done.active());
        assertEquals(9L, done.resultVersionId());
    }

    @Test
    void factStatementFillsTheSubjectIn() throws Exception {
        Views.FactRow f = Views.FactRow.of("batch 1", json("{'subject': 'Danielle Darrieux', 'prompt': 'The mother tongue of {} is',"
                + " 'targetNew': 'English', 'targetTrue': 'French', 'locality': [{'prompt': 'P', 'expected': 'E'}]}"));
        assertEquals("The mother tongue of Danielle Darrieux is", f.statement());
        assertEquals("—", f.paraphrases());
        assertEquals("P → E", f.locality());
    }
}
