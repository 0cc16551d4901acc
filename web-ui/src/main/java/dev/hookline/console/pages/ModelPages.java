/*
 * Model pages of the console: models, one model (channels, serving nodes, the lineage tree of
 * its hook versions, its batches), the diff of two versions, the charts along a branch, and a
 * channel (history, pin, roll back). Reads and moves go through the registry API (docs/API.md)
 * with the signed-in user's token; the API checks roles and states.
 */
package dev.hookline.console.pages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.client.RegistryClient;
import dev.hookline.console.session.ConsolePage;
import dev.hookline.console.session.ConsoleSession;
import dev.hookline.console.session.ConsoleSessions;
import dev.hookline.console.view.Charts;
import dev.hookline.console.view.Charts.ChartView;
import dev.hookline.console.view.Fmt;
import dev.hookline.console.view.Views.BatchRow;
import dev.hookline.console.view.Views.BuildRow;
import dev.hookline.console.view.Views.ChannelRow;
import dev.hookline.console.view.Views.FactRow;
import dev.hookline.console.view.Views.LayerDiffRow;
import dev.hookline.console.view.Views.LineageRow;
import dev.hookline.console.view.Views.MetricDiffRow;
import dev.hookline.console.view.Views.ModelRow;
import dev.hookline.console.view.Views.MoveRow;
import dev.hookline.console.view.Views.NodeRow;
import dev.hookline.console.view.Views.Option;
import dev.hookline.console.view.Views.VersionRow;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import io.quarkus.qute.TemplateInstance;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** {@code /models/...}. */
@Path("/models")
@ConsolePage
@Produces(MediaType.TEXT_HTML)
public class ModelPages {

    @Inject
    Console console;

    @GET
    public TemplateInstance list(@CookieParam(ConsoleSessions.COOKIE) String cookie) {
        ConsoleSession s = console.require(cookie, "/models");
        List<ModelRow> models = new ArrayList<>();
        s.registry().get("/api/models").forEach(m -> models.add(ModelRow.of(m)));
        // Builds not yet READY: `./hookline up` pretrains its first model before it is registered.
        List<BuildRow> builds = new ArrayList<>();
        s.registry().get("/api/models/builds").forEach(b -> {
            if (!"READY".equals(b.path("status").asText())) {
                builds.add(BuildRow.of(b));
            }
        });
        return Templates.models(console.page(s, "Models", "models"), models, builds);
    }

    @GET
    @Path("{id}")
    public TemplateInstance model(@CookieParam(ConsoleSessions.COOKIE) String cookie, @PathParam("id") long id) {
        ConsoleSession s = console.require(cookie, "/models/" + id);
        RegistryClient api = s.registry();
        ModelRow model = ModelRow.of(api.get("/api/models/" + id));
        Map<Long, JsonNode> versions = RegistryReads.versions(api, id);
        Map<Long, Integer> numbers = RegistryReads.numbers(versions);
        List<JsonNode> channels = RegistryReads.channels(api, id);
        Map<Long, List<String>> marks = RegistryReads.channelsByVersion(channels);
        List<BatchRow> batches = new ArrayList<>();
        java.util.HashMap<Long, String> branches = new java.util.HashMap<>();
        api.get("/api/batches?modelId=" + id + "&limit=1000").forEach(b -> {
            branches.put(b.path("id").asLong(), b.path("branch").asText());
            if (batches.size() < 20) {
                batches.add(BatchRow.of(b));
            }
        });
        List<NodeRow> nodes = new ArrayList<>();
        api.get("/api/nodes?modelId=" + id).forEach(n -> nodes.add(NodeRow.of(n, numbers)));
        List<ChannelRow> channelRows = channels.stream().map(ChannelRow::of).toList();
        return Templates.model(console.page(s, model.name(), "models"), model, channelRows, nodes,
                lineage(versions, marks, branches), options(versions, null, true), batches);
    }

    @GET
    @Path("{id}/diff")
    public TemplateInstance diff(@CookieParam(ConsoleSessions.COOKIE) String cookie, @PathParam("id") long id,
                                 @QueryParam("from") Long fromId, @QueryParam("to") Long toId) {
        ConsoleSession s = console.require(cookie, "/models/" + id + "/diff");
        RegistryClient api = s.registry();
        ModelRow model = ModelRow.of(api.get("/api/models/" + id));
        Map<Long, JsonNode> versions = RegistryReads.versions(api, id);
        long newest = versions.keySet().stream().max(Comparator.naturalOrder()).orElse(0L);
        long to = toId != null && versions.containsKey(toId) ? toId : newest;
        JsonNode toV = versions.get(to);
        long from = fromId != null && (fromId == 0 || versions.containsKey(fromId)) ? fromId
                : toV != null && toV.path("parentVersionId").isIntegralNumber() ? toV.path("parentVersionId").asLong() : 0L;
        JsonNode fromV = from == 0 ? null : versions.get(from);
        Map<Long, List<String>> marks = RegistryReads.channelsByVersion(RegistryReads.channels(api, id));
        List<FactRow> added = new ArrayList<>();
        List<FactRow> otherSide = new ArrayList<>();
        String relation;
        if (toV == null) {
            relation = "This model has no hook versions yet.";
        } else {
            List<JsonNode> toPath = RegistryReads.pathTo(versions, to);
            List<JsonNode> fromPath = fromV == null ? List.of() : RegistryReads.pathTo(versions, from);
            Set<Long> fromIds = new HashSet<>();
            fromPath.forEach(v -> fromIds.add(v.path("id").asLong()));
            Set<Long> toIds = new HashSet<>();
            toPath.forEach(v -> toIds.add(v.path("id").asLong()));
            for (JsonNode v : toPath) {
                if (!fromIds.contains(v.path("id").asLong())) {
                    added.addAll(facts(api, v));
                }
            }
            for (JsonNode v : fromPath) {
                if (!toIds.contains(v.path("id").asLong())) {
                    otherSide.addAll(facts(api, v));
                }
            }
            String fromLabel = fromV == null ? "v0 (base model)" : "v" + fromV.path("number").asInt();
            String toLabel = "v" + toV.path("number").asInt();
            relation = from == to ? "The same version on both sides."
                    : fromV == null || toIds.contains(from) ? fromLabel + " is an ancestor of " + toLabel
                    + ": the facts below were added on the way."
                    : fromIds.contains(to) ? toLabel + " is an ancestor of " + fromLabel
                    + ": the facts below were added on " + fromLabel + "'s side."
                    : fromLabel + " and " + toLabel + " are on different branches; their common ancestor is "
                    + commonAncestor(fromPath, toIds) + ". Below: the facts " + toLabel + " has and " + fromLabel
                    + " lacks, then the facts " + fromLabel + " has and " + toLabel + " lacks.";
        }
        VersionRow fromRow = fromV == null ? null : VersionRow.of(fromV, marks, null);
        VersionRow toRow = toV == null ? null : VersionRow.of(toV, marks, null);
        List<dev.hookline.console.view.Views.TensorDiffRow> tensors = new ArrayList<>();
        String tensorNote = null;
        if (toV == null) {
            tensorNote = "No version to compare.";
        } else if (from == to) {
            tensorNote = "The same version on both sides: nothing moved.";
        } else {
            try {
                JsonNode td = api.get("/api/versions/" + from + "/diff/" + to + "/tensors?top=3");
                td.path("layers").forEach(l -> tensors.add(dev.hookline.console.view.Views.TensorDiffRow.of(l)));
                List<String> moved = new ArrayList<>();
                td.path("movedLayers").forEach(l -> moved.add(l.asText()));
                tensorNote = moved.isEmpty() ? "No layer's hook weights moved."
                        : "Layers whose hook weights moved: " + String.join(", ", moved) + ".";
            } catch (dev.hookline.client.RegistryException e) {
                if (e.status() != 422 && e.status() != 409) {
                    throw e;
                }
                // versions that are not hook bundles (or of another model): say why, keep the rest of the page
                tensorNote = "The registry could not compare the hook tensors: "
                        + (e.detail() != null ? e.detail() : e.getMessage());
            }
        }
        return Templates.diff(console.page(s, "Diff · " + model.name(), "models"), model, fromRow, toRow, relation,
                added, otherSide, layerDiff(fromV, toV), metricDiff(fromV, toV),
                options(versions, from, true), options(versions, to, false), tensors, tensorNote);
    }

    @GET
    @Path("{id}/charts")
    public TemplateInstance charts(@CookieParam(ConsoleSessions.COOKIE) String cookie, @PathParam("id") long id,
                                   @QueryParam("leaf") Long leafId) {
        ConsoleSession s = console.require(cookie, "/models/" + id + "/charts");
        RegistryClient api = s.registry();
        ModelRow model = ModelRow.of(api.get("/api/models/" + id));
        Map<Long, JsonNode> versions = RegistryReads.versions(api, id);
        Map<Long, String> branches = RegistryReads.branchByBatch(api, id);
        Set<Long> parents = new HashSet<>();
        versions.values().forEach(v -> {
            if (v.path("parentVersionId").isIntegralNumber()) {
                parents.add(v.path("parentVersionId").asLong());
            }
        });
        // the tips of the lineage tree: each names one branch from the base model outwards
        List<JsonNode> leaves = versions.values().stream().filter(v -> !parents.contains(v.path("id").asLong()))
                .sorted(Comparator.comparingLong((JsonNode v) -> v.path("id").asLong()).reversed()).toList();
        long leaf = leafId != null && versions.containsKey(leafId) ? leafId
                : leaves.isEmpty() ? 0L : leaves.get(0).path("id").asLong();
        List<Option> leafOptions = new ArrayList<>();
        for (JsonNode v : leaves) {
            long vid = v.path("id").asLong();
            leafOptions.add(new Option(String.valueOf(vid), "branch " + branches.getOrDefault(v.path("batchId").asLong(), "—")
                    + " up to v" + v.path("number").asInt(), vid == leaf));
        }
        if (leafId != null && versions.containsKey(leafId) && leafOptions.stream().noneMatch(Option::selected)) {
            JsonNode v = versions.get(leafId);
            leafOptions.add(0, new Option(String.valueOf(leafId), "up to v" + v.path("number").asInt(), true));
        }
        List<JsonNode> path = leaf == 0 ? List.of() : RegistryReads.pathTo(versions, leaf);
        Map<Long, List<String>> marks = RegistryReads.channelsByVersion(RegistryReads.channels(api, id));
        List<VersionRow> pathRows = path.stream().map(v -> VersionRow.of(v, marks, branches)).toList();
        List<ChartView> charts = List.of(Charts.quality("quality", path), Charts.alpha("alpha", path));
        JsonNode last = path.isEmpty() ? null : path.get(path.size() - 1);
        List<ChartView> z = last == null ? List.of() : Charts.zScores("z", last);
        return Templates.charts(console.page(s, "Charts · " + model.name(), "models"), model, leafOptions, pathRows,
                charts, z, last == null ? Fmt.MISSING : "v" + last.path("number").asInt());
    }

    @GET
    @Path("{id}/channels/{name}")
    public TemplateInstance channel(@CookieParam(ConsoleSessions.COOKIE) String cookie, @PathParam("id") long id,
                                    @PathParam("name") String name) {
        ConsoleSession s = console.require(cookie, "/models/" + id + "/channels/" + name);
        RegistryClient api = s.registry();
        ModelRow model = ModelRow.of(api.get("/api/models/" + id));
        JsonNode channel = api.get("/api/models/" + id + "/channels/" + RegistryClient.q(name));
        Map<Long, JsonNode> versions = RegistryReads.versions(api, id);
        Map<Long, Integer> numbers = RegistryReads.numbers(versions);
        List<MoveRow> history = new ArrayList<>();
        channel.path("history").forEach(m -> history.add(MoveRow.of(m, numbers)));
        List<Option> validated = new ArrayList<>();
        versions.values().stream().filter(v -> "VALIDATED".equals(v.path("state").asText()))
                .sorted(Comparator.comparingInt((JsonNode v) -> v.path("number").asInt()).reversed())
                .forEach(v -> validated.add(new Option(v.path("id").asText(), "v" + v.path("number").asInt(),
                        v.path("id").asLong() == channel.path("versionId").asLong())));
        return Templates.channel(console.page(s, "Channel " + name + " · " + model.name(), "models"), model,
                ChannelRow.of(channel), history, validated);
    }

    /**
     * Pins a channel (creates it, or moves it). {@code expectedVersionId}: the version the user
     * saw on the channel page; from a version page it is read now. The API answers 409 when the
     * channel moved meanwhile, 422 when the version is not VALIDATED, 403 without RELEASER.
     */
    @POST
    @Path("{id}/channels")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response pin(@CookieParam(ConsoleSessions.COOKIE) String cookie, @PathParam("id") long id,
                        @FormParam("csrf") String csrf, @FormParam("channel") String channel,
                        @FormParam("versionId") Long versionId, @FormParam("expectedVersionId") String expected,
                        @FormParam("reason") String reason, @FormParam("back") String back,
                        @FormParam("confirm") String confirm) {
        ConsoleSession s = console.requireForm(cookie, csrf, "/models/" + id);
        String name = Console.field(channel);
        if (name == null || versionId == null) {
            return error(s, "A channel name and a version are required.", "/models/" + id);
        }
        if (Console.field(reason) == null) {
            return error(s, "A reason is required for a channel move.", "/models/" + id);
        }
        RegistryClient api = s.registry();
        ObjectNode body = RegistryClient.json().createObjectNode().put("versionId", versionId).put("reason", reason.strip());
        if (expected != null && !expected.isBlank()) {
            body.put("expectedVersionId", Long.parseLong(expected.strip()));
        } else {
            api.find("/api/models/" + id + "/channels/" + RegistryClient.q(name))
                    .ifPresent(c -> body.put("expectedVersionId", c.path("versionId").asLong()));
        }
        if (!"yes".equals(confirm)) {
            Long current = body.has("expectedVersionId") ? body.path("expectedVersionId").asLong() : null;
            List<Templates.Hidden> fields = new ArrayList<>(List.of(new Templates.Hidden("channel", name),
                    new Templates.Hidden("versionId", versionId.toString()),
                    new Templates.Hidden("reason", reason.strip()),
                    new Templates.Hidden("back", back == null ? "" : back)));
            if (current != null) {
                fields.add(new Templates.Hidden("expectedVersionId", current.toString()));
            }
            return confirmPage(s, api, id, name, current, versionId, "Pin channel " + name, "/models/" + id + "/channels",
                    fields, reason.strip());
        }
        JsonNode moved = api.put("/api/models/" + id + "/channels/" + RegistryClient.q(name), body);
        s.flash("Channel " + name + " now points at v" + moved.path("versionNumber").asInt() + ".");
        return Console.seeOther(back != null && back.equals("version") ? "/versions/" + versionId
                : "/models/" + id + "/channels/" + RegistryClient.q(name));
    }

    /** Rolls a channel back (to the version before its last move, or to a chosen validated version). */
    @POST
    @Path("{id}/channels/{name}/rollback")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response rollback(@CookieParam(ConsoleSessions.COOKIE) String cookie, @PathParam("id") long id,
                             @PathParam("name") String name, @FormParam("csrf") String csrf,
                             @FormParam("toVersionId") String to, @FormParam("expectedVersionId") Long expected,
                             @FormParam("reason") String reason, @FormParam("confirm") String confirm) {
        ConsoleSession s = console.requireForm(cookie, csrf, "/models/" + id + "/channels/" + name);
        if (Console.field(reason) == null) {
            return error(s, "A reason is required for a rollback.", "/models/" + id + "/channels/" + RegistryClient.q(name));
        }
        ObjectNode body = RegistryClient.json().createObjectNode().put("reason", reason.strip());
        if (to != null && !to.isBlank()) {
            body.put("toVersionId", Long.parseLong(to.strip()));
        }
        if (expected != null) {
            body.put("expectedVersionId", expected);
        }
        if (!"yes".equals(confirm)) {
            RegistryClient api = s.registry();
            JsonNode ch = api.get("/api/models/" + id + "/channels/" + RegistryClient.q(name));
            long current = ch.path("versionId").asLong();
            Long target = body.has("toVersionId") ? body.path("toVersionId").asLong() : null;
            if (target == null) {
                JsonNode preview = api.get("/api/models/" + id + "/channels/" + RegistryClient.q(name) + "/rollback-target");
                if (!preview.path("targetVersionId").isIntegralNumber()) {
                    return error(s, "Nothing to roll back to: " + preview.path("refusal").asText() + ". Nothing moved.",
                            "/models/" + id + "/channels/" + RegistryClient.q(name));
                }
                target = preview.path("targetVersionId").asLong();
            }
            List<Templates.Hidden> fields = new ArrayList<>(List.of(new Templates.Hidden("reason", reason.strip()),
                    new Templates.Hidden("toVersionId", target.toString()),
                    new Templates.Hidden("expectedVersionId", String.valueOf(current))));
            return confirmPage(s, api, id, name, current, target, "Roll back channel " + name,
                    "/models/" + id + "/channels/" + RegistryClient.q(name) + "/rollback", fields, reason.strip());
        }
        JsonNode moved = s.registry().post("/api/models/" + id + "/channels/" + RegistryClient.q(name) + "/rollback", body);
        s.flash("Channel " + name + " rolled back to v" + moved.path("versionNumber").asInt() + ".");
        return Console.seeOther("/models/" + id + "/channels/" + RegistryClient.q(name));
    }

    /**
     * The confirmation of a channel move: current -> target, the common ancestor and how many
     * facts the channel gains and loses (lineage facts since the common ancestor).
     */
    private Response confirmPage(ConsoleSession s, RegistryClient api, long id, String channel, Long current, long target,
                                 String heading, String action, List<Templates.Hidden> fields, String reason) {
        Map<Long, JsonNode> versions = RegistryReads.versions(api, id);
        List<JsonNode> toPath = RegistryReads.pathTo(versions, target);
        List<JsonNode> fromPath = current == null ? List.of() : RegistryReads.pathTo(versions, current);
        Set<Long> fromIds = new HashSet<>();
        fromPath.forEach(v -> fromIds.add(v.path("id").asLong()));
        Set<Long> toIds = new HashSet<>();
        toPath.forEach(v -> toIds.add(v.path("id").asLong()));
        String ancestor = "v0 (base model)";
        int added = 0;
        for (JsonNode v : toPath) {
            if (fromIds.contains(v.path("id").asLong())) {
                ancestor = "v" + v.path("number").asInt();
            } else {
                added += facts(api, v).size();
            }
        }
        int removed = 0;
        for (JsonNode v : fromPath) {
            if (!toIds.contains(v.path("id").asLong())) {
                removed += facts(api, v).size();
            }
        }
        String currentLabel = current == null ? "— (new channel)" : label(versions, current);
        Templates.Confirm c = new Templates.Confirm(heading, channel, currentLabel, label(versions, target),
                current == null ? "—" : ancestor, added, removed, reason,
                "/models/" + id + "/diff?from=" + (current == null ? 0 : current) + "&to=" + target, action, fields,
                "/models/" + id + "/channels/" + RegistryClient.q(channel));
        String html = Templates.confirm(console.page(s, heading, "models"), c).render();
        return Response.ok(html).type(MediaType.TEXT_HTML_TYPE.withCharset("UTF-8")).build();
    }

    /** The deepest version of {@code fromPath} that is also on the other path, as "vN" ("v0 (base model)" when none). */
    private static String commonAncestor(List<JsonNode> fromPath, Set<Long> toIds) {
        String out = "v0 (base model)";
        for (JsonNode v : fromPath) {
            if (toIds.contains(v.path("id").asLong())) {
                out = "v" + v.path("number").asInt();
            }
        }
        return out;
    }

    private static String label(Map<Long, JsonNode> versions, long id) {
        JsonNode v = versions.get(id);
        return v == null ? "version " + id : "v" + v.path("number").asInt() + " (" + v.path("state").asText() + ")";
    }

    private Response error(ConsoleSession s, String message, String back) {
        String html = Templates.error(console.page(s, "Not done", ""), 400, "Not done", message, null, List.of(), back)
                .render();
        return Response.status(400).type(MediaType.TEXT_HTML_TYPE.withCharset("UTF-8")).entity(html).build();
    }

    /** Depth-first rows of the lineage tree, children in version order. */
    static List<LineageRow> lineage(Map<Long, JsonNode> versions, Map<Long, List<String>> marks, Map<Long, String> branches) {
        Map<Long, List<JsonNode>> children = new java.util.HashMap<>();
        List<JsonNode> roots = new ArrayList<>();
        for (JsonNode v : versions.values()) {
            JsonNode p = v.path("parentVersionId");
            if (p.isIntegralNumber() && versions.containsKey(p.asLong())) {
                children.computeIfAbsent(p.asLong(), k -> new ArrayList<>()).add(v);
            } else {
                roots.add(v);
            }
        }
        Comparator<JsonNode> byNumber = Comparator.comparingInt(v -> v.path("number").asInt());
        List<LineageRow> rows = new ArrayList<>();
        java.util.ArrayDeque<Object[]> stack = new java.util.ArrayDeque<>();
        roots.sort(byNumber.reversed());
        roots.forEach(r -> stack.push(new Object[]{r, 0}));
        while (!stack.isEmpty()) {
            Object[] top = stack.pop();
            JsonNode v = (JsonNode) top[0];
            int depth = (Integer) top[1];
            List<JsonNode> kids = new ArrayList<>(children.getOrDefault(v.path("id").asLong(), List.of()));
            rows.add(new LineageRow(depth, "d" + Math.min(depth, 8), VersionRow.of(v, marks, branches), kids.isEmpty()));
            kids.sort(byNumber.reversed());
            kids.forEach(k -> stack.push(new Object[]{k, depth + 1}));
        }
        return rows;
    }

    /** Select options of every version (newest first), with the base model optionally. */
    private static List<Option> options(Map<Long, JsonNode> versions, Long selected, boolean withBase) {
        List<Option> o = new ArrayList<>();
        versions.values().stream().sorted(Comparator.comparingInt((JsonNode v) -> v.path("number").asInt()).reversed())
                .forEach(v -> o.add(new Option(v.path("id").asText(), "v" + v.path("number").asInt() + " · "
                        + v.path("state").asText(), selected != null && selected == v.path("id").asLong())));
        if (withBase) {
            o.add(new Option("0", "v0 · base model", selected != null && selected == 0));
        }
        return o;
    }

    private static List<FactRow> facts(RegistryClient api, JsonNode version) {
        List<FactRow> rows = new ArrayList<>();
        if (!version.path("batchId").isIntegralNumber()) {
            return rows;
        }
        String label = "v" + version.path("number").asInt();
        api.find("/api/batches/" + version.path("batchId").asLong())
                .ifPresent(b -> b.path("edits").forEach(e -> rows.add(FactRow.of(label, e))));
        return rows;
    }

    /**
     * Per layer: the hook state norm (||W_h - W_0||, with codebook rows) and alpha after, for both versions (the base
     * model: 0, no alpha).
     */
    static List<LayerDiffRow> layerDiff(JsonNode from, JsonNode to) {
        TreeSet<Integer> layers = new TreeSet<>();
        for (JsonNode v : new JsonNode[]{from, to}) {
            if (v != null) {
                Fmt.at(v.path("metrics"), "layers").forEach(l -> layers.add(l.path("layer").asInt()));
                v.path("alpha").forEach(a -> layers.add(a.path("layer").asInt()));
            }
        }
        List<LayerDiffRow> rows = new ArrayList<>();
        for (int l : layers) {
            Double fd = from == null ? Double.valueOf(0.0) : deltaNorm(from, l);
            Double td = to == null ? null : deltaNorm(to, l);
            Double fa = from == null ? null : alphaAfter(from, l);
            Double ta = to == null ? null : alphaAfter(to, l);
            rows.add(new LayerDiffRow(String.valueOf(l), Fmt.num(fd, 4), Fmt.num(td, 4), Fmt.change(fd, td, 4),
                    Fmt.num(fa, 4), Fmt.num(ta, 4), Fmt.change(fa, ta, 4)));
        }
        return rows;
    }

    private static Double deltaNorm(JsonNode v, int layer) {
        for (JsonNode l : Fmt.at(v.path("metrics"), "layers")) {
            if (l.path("layer").asInt(-1) == layer && l.path("deltaNorm").isNumber()) {
                return l.path("deltaNorm").asDouble();
            }
        }
        return null;
    }

    private static Double alphaAfter(JsonNode v, int layer) {
        for (JsonNode a : v.path("alpha")) {
            if (a.path("layer").asInt(-1) == layer && a.path("after").isNumber()) {
                return a.path("after").asDouble();
            }
        }
        return null;
    }

    private static final String[][] METRICS = {
            {"reliability", "reliability (batch)"}, {"generality", "generality (batch)"}, {"locality", "locality"},
            {"regression.reliability", "reliability (earlier edits re-checked)"},
            {"regression.generality", "generality (earlier edits re-checked)"}};

    static List<MetricDiffRow> metricDiff(JsonNode from, JsonNode to) {
        List<MetricDiffRow> rows = new ArrayList<>();
        for (String[] m : METRICS) {
            Double f = from == null ? null : Fmt.number(from.path("metrics"), m[0]);
            Double t = to == null ? null : Fmt.number(to.path("metrics"), m[0]);
            rows.add(new MetricDiffRow(m[1], Fmt.num(f, 3), Fmt.num(t, 3), Fmt.change(f, t, 3)));
        }
        Double fe = from == null ? Double.valueOf(0) : Double.valueOf(from.path("editsCumulative").asDouble());
        Double te = to == null ? null : Double.valueOf(to.path("editsCumulative").asDouble());
        rows.add(new MetricDiffRow("edits so far", Fmt.num(fe, 0), Fmt.num(te, 0), Fmt.change(fe, te, 0)));
        return rows;
    }
}
