/*
 * Chart specifications for the console: the series the charts draw (uPlot in the browser, see
 * console.js) and the same numbers as a data table for screen readers and for anyone who wants
 * the figures. Reads version metrics as written by the editor worker (SHARED-CONTRACTS.md);
 * absent values are gaps in the chart and "—" in the table.
 */
package dev.hookline.console.view;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/** Builds {@link ChartView}s from hook versions. */
public final class Charts {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Charts() {
    }

    /**
     * A chart: {@code spec} is JSON for console.js ({kind, xLabel, yLabel, x, series:[{label, values}]}),
     * already escaped for a {@code <script type="application/json">} element; {@code header}/{@code rows}
     * are the data table.
     */
    public record ChartView(String id, String title, String description, String spec, List<String> header,
                            List<List<String>> rows) {
        /** True when there is at least one point to draw. */
        public boolean hasData() {
            return !rows.isEmpty();
        }
    }

    /** One named series of a chart (null = no value at that x). */
    private record Series(String label, List<Double> values) {
    }

    private static final String[][] QUALITY = {
            {"reliability", "reliability (batch)"},
            {"generality", "generality (batch)"},
            {"locality", "locality"},
            {"regression.reliability", "reliability (earlier edits re-checked)"},
            {"regression.generality", "generality (earlier edits re-checked)"}};

    /**
     * Reliability / generality / locality (this batch and the regression over all edits so far)
     * against cumulative edits, along a path of versions from the base model outwards.
     */
    public static ChartView quality(String id, List<JsonNode> path) {
        List<Double> x = new ArrayList<>();
        List<Series> series = new ArrayList<>();
        for (String[] q : QUALITY) {
            series.add(new Series(q[1], new ArrayList<>()));
        }
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode v : path) {
            JsonNode m = v.path("metrics");
            Double edits = v.path("editsCumulative").isNumber() ? v.path("editsCumulative").asDouble()
                    : Fmt.number(m, "editsCumulative");
            x.add(edits);
            List<String> row = new ArrayList<>();
            row.add("v" + v.path("number").asInt());
            row.add(edits == null ? Fmt.MISSING : String.valueOf(edits.longValue()));
            for (int i = 0; i < QUALITY.length; i++) {
                // no earlier edit re-checked (first version): a gap, not a 0 (the chart drew a climb that never happened)
                boolean empty = QUALITY[i][0].startsWith("regression.") && m.path("regression").path("edits").isIntegralNumber()
                        && m.path("regression").path("edits").asInt() == 0;
                Double val = empty ? null : Fmt.number(m, QUALITY[i][0]);
                series.get(i).values().add(val);
                row.add(Fmt.num(val, 3));
            }
            rows.add(row);
        }
        List<String> header = new ArrayList<>(List.of("version", "edits so far"));
        for (String[] q : QUALITY) {
            header.add(q[1]);
        }
        ObjectNode spec = specNode("line", "version (edits so far)", "score (0-1)", x, series, 0.0, 1.0, null, true);
        versionAxis(spec, path, true);
        return new ChartView(id, "Edit quality along the branch",
                "Reliability, generality and locality of each version against the number of edits applied so far;"
                        + " rejected and blocked versions greyed.",
                scriptSafe(spec.toString()), header, rows);
    }

    /** Alpha (after each batch) per editing layer across the versions of a path. */
    public static ChartView alpha(String id, List<JsonNode> path) {
        TreeSet<Integer> layers = new TreeSet<>();
        for (JsonNode v : path) {
            v.path("alpha").forEach(a -> {
                if (a.path("layer").isIntegralNumber()) {
                    layers.add(a.path("layer").asInt());
                }
            });
        }
        List<Double> x = new ArrayList<>();
        List<Series> series = new ArrayList<>();
        for (int l : layers) {
            series.add(new Series("layer " + l, new ArrayList<>()));
        }
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode v : path) {
            x.add((double) v.path("number").asInt());
            List<String> row = new ArrayList<>();
            row.add("v" + v.path("number").asInt());
            int i = 0;
            for (int l : layers) {
                Double after = null;
                for (JsonNode a : v.path("alpha")) {
                    if (a.path("layer").asInt(-1) == l && a.path("after").isNumber()) {
                        after = a.path("after").asDouble();
                    }
                }
                series.get(i++).values().add(after);
                row.add(Fmt.num(after, 4));
            }
            rows.add(row);
        }
        List<String> header = new ArrayList<>(List.of("version"));
        layers.forEach(l -> header.add("alpha layer " + l));
        ObjectNode spec = specNode("line", "version", "alpha", x, series, null, null, null, true);
        versionAxis(spec, path, false);
        Double alpha0 = alpha0(path);
        String note = "";
        if (alpha0 != null) {
            mark(spec, "yMarks", alpha0, "alpha0 " + Fmt.num(alpha0, 3));
            note = " The dashed line is alpha0 (" + Fmt.num(alpha0, 3) + "), where the first batch started.";
        }
        return new ChartView(id, "Alpha per layer across versions",
                "The scope threshold alpha of each editing layer after each version's batch; rejected and blocked"
                        + " versions greyed." + note,
                scriptSafe(spec.toString()), header, layers.isEmpty() ? List.of() : rows);
    }

    /**
     * The z-score distribution of one layer of a version: shares of edited positions vs other
     * positions per bin (counts normalised so both sum to 1; the table keeps the counts).
     */
    public static List<ChartView> zScores(String idPrefix, JsonNode version) {
        JsonNode z = Fmt.at(version.path("metrics"), "zScores");
        JsonNode edges = z.path("edges");
        List<ChartView> charts = new ArrayList<>();
        if (!edges.isArray() || edges.size() < 2) {
            return charts;
        }
        int bins = edges.size() - 1;
        for (JsonNode layer : z.path("layers")) {
            String l = Fmt.text(layer, "layer");
            long[] edited = counts(layer.path("edited"), bins);
            long[] other = counts(layer.path("other"), bins);
            long editedTotal = java.util.Arrays.stream(edited).sum();
            long otherTotal = java.util.Arrays.stream(other).sum();
            List<Double> x = new ArrayList<>();
            Series e = new Series("edited positions", new ArrayList<>());
            Series o = new Series("other positions", new ArrayList<>());
            List<List<String>> rows = new ArrayList<>();
            for (int b = 0; b < bins; b++) {
                double lo = edges.get(b).asDouble();
                double hi = edges.get(b + 1).asDouble();
                x.add(lo);
                Double es = editedTotal == 0 ? null : (double) edited[b] / editedTotal;
                Double os = otherTotal == 0 ? null : (double) other[b] / otherTotal;
                e.values().add(es);
                o.values().add(os);
                rows.add(List.of(Fmt.num(lo, 2) + " to " + Fmt.num(hi, 2), String.valueOf(edited[b]),
                        Fmt.percent(es), String.valueOf(other[b]), Fmt.percent(os)));
            }
            ObjectNode spec = specNode("bars", "z-score (bin start)", "share of positions", x, List.of(e, o), 0.0, null,
                    edges.get(bins).asDouble(), false);
            StringBuilder note = new StringBuilder();
            for (JsonNode a : version.path("alpha")) {
                if (Fmt.text(a, "layer").equals(l)) {
                    if (a.path("after").isNumber()) {
                        mark(spec, "xMarks", a.path("after").asDouble(), "alpha " + Fmt.num(a.path("after").asDouble(), 3));
                        note.append(" Solid line: the threshold alpha after this batch (")
                                .append(Fmt.num(a.path("after").asDouble(), 3)).append(").");
                    }
                    if (a.path("before").isNumber()) {
                        mark(spec, "xMarks", a.path("before").asDouble(), "alpha before " + Fmt.num(a.path("before").asDouble(), 3));
                        note.append(" Dashed: alpha before it (").append(Fmt.num(a.path("before").asDouble(), 3)).append(").");
                    }
                }
            }
            Double h0 = hyperparameterAlpha0(version.path("hyperparameters"));
            if (h0 != null) {
                mark(spec, "xMarks", h0, "alpha0 " + Fmt.num(h0, 3));
                note.append(" alpha0 = ").append(Fmt.num(h0, 3)).append('.');
            }
            charts.add(new ChartView(idPrefix + "-" + l, "z-scores at layer " + l,
                    "Share of positions per z-score bin: the batch's edited positions (" + editedTotal
                            + ") against all positions of the locality sample (" + otherTotal + ")." + note,
                    scriptSafe(spec.toString()),
                    List.of("z-score bin", "edited (count)", "edited (share)", "other (count)", "other (share)"), rows));
        }
        return charts;
    }

    private static long[] counts(JsonNode array, int bins) {
        long[] c = new long[bins];
        for (int i = 0; i < bins && i < array.size(); i++) {
            c[i] = array.get(i).isNumber() ? Math.max(0, array.get(i).asLong()) : 0;
        }
        return c;
    }

    private static String spec(String kind, String xLabel, String yLabel, List<Double> x, List<Series> series,
                               Double yMin, Double yMax, Double xMax, boolean xInteger) {
        return scriptSafe(specNode(kind, xLabel, yLabel, x, series, yMin, yMax, xMax, xInteger).toString());
    }

    private static ObjectNode specNode(String kind, String xLabel, String yLabel, List<Double> x, List<Series> series,
                                       Double yMin, Double yMax, Double xMax, boolean xInteger) {
        ObjectNode s = JSON.createObjectNode().put("kind", kind).put("xLabel", xLabel).put("yLabel", yLabel)
                .put("xInteger", xInteger);
        if (xMax != null) {
            s.put("xMax", xMax);
        }
        if (yMin != null) {
            s.put("yMin", yMin);
        }
        if (yMax != null) {
            s.put("yMax", yMax);
        }
        ArrayNode xs = s.putArray("x");
        x.forEach(v -> {
            if (v == null) {
                xs.addNull();
            } else {
                xs.add(v);
            }
        });
        ArrayNode ser = s.putArray("series");
        for (Series one : series) {
            ObjectNode o = ser.addObject().put("label", one.label());
            ArrayNode vs = o.putArray("values");
            one.values().forEach(v -> {
                if (v == null) {
                    vs.addNull();
                } else {
                    vs.add(v);
                }
            });
        }
        return s;
    }

    /**
     * The version-axis extras of a chart along a path: x tick labels "v<n>" at each point and the
     * indexes of REJECTED/BLOCKED versions, which console.js greys out.
     */
    private static void versionAxis(ObjectNode spec, List<JsonNode> path, boolean withEdits) {
        ArrayNode labels = spec.putArray("xLabels");
        ArrayNode greyed = spec.putArray("greyed");
        for (int i = 0; i < path.size(); i++) {
            JsonNode v = path.get(i);
            String label = "v" + v.path("number").asInt();
            if (withEdits) {
                label += " (" + v.path("editsCumulative").asInt() + ")";
            }
            labels.add(label);
            String state = v.path("state").asText("");
            if (state.equals("REJECTED") || state.equals("BLOCKED")) {
                greyed.add(i);
            }
        }
    }

    /** A marker line at {@code value} ("yMarks": horizontal, "xMarks": vertical). */
    private static void mark(ObjectNode spec, String axis, double value, String label) {
        ArrayNode marks = spec.has(axis) ? (ArrayNode) spec.get(axis) : spec.putArray(axis);
        // the threshold in force is solid; where alpha started (alpha0, alpha before the batch) dashed
        marks.addObject().put("value", value).put("label", label).put("dash", label.startsWith("alpha0") || label.contains("before"));
    }

    /**
     * alpha0 of a path: the {@code alpha0} hyperparameter of its first version, else the alpha its
     * first batch started from (the "before" of its first layer); null when neither is recorded.
     */
    /**
     * A version's recorded alpha0: top level in CoachHooK's and alphaedit-nearest's records, under
     * {@code nearest} in alphaedit-shards'; null where there is none.
     */
    static Double hyperparameterAlpha0(JsonNode hyperparameters) {
        JsonNode h = hyperparameters.path("alpha0");
        if (!h.isNumber()) {
            h = hyperparameters.path("nearest").path("alpha0");
        }
        return h.isNumber() ? h.asDouble() : null;
    }

    static Double alpha0(List<JsonNode> path) {
        if (path.isEmpty()) {
            return null;
        }
        JsonNode first = path.get(0);
        Double h = hyperparameterAlpha0(first.path("hyperparameters"));
        if (h != null) {
            return h;
        }
        for (JsonNode a : first.path("alpha")) {
            if (a.path("before").isNumber()) {
                return a.path("before").asDouble();
            }
        }
        return null;
    }

    /** JSON safe inside a script element: no "<" (so no "</script>"), no "&". */
    public static String scriptSafe(String json) {
        return json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026");
    }
}
