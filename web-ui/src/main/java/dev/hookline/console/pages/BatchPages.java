/*
 * Batch pages of the console: the list with live progress (htmx polls a rows fragment while any
 * listed batch is pending or running) and one batch (facts, submitter, reason, progress, metrics
 * of its resulting version).
 */
package dev.hookline.console.pages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.client.RegistryClient;
import dev.hookline.console.session.ConsolePage;
import dev.hookline.console.session.ConsoleSession;
import dev.hookline.console.session.ConsoleSessions;
import dev.hookline.console.view.Views.BatchRow;
import dev.hookline.console.view.Views.FactRow;
import dev.hookline.console.view.Views.Option;
import dev.hookline.console.view.Views.VersionRow;
import io.quarkus.qute.TemplateInstance;
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

import java.util.ArrayList;
import java.util.List;

/** {@code /batches/...}. */
@Path("/batches")
@ConsolePage
@Produces(MediaType.TEXT_HTML)
public class BatchPages {

    /** Batch states as the API names them (docs/API.md). */
    static final List<String> STATUSES = List.of("SUBMITTED", "QUEUED", "RUNNING", "COMPUTED", "VALIDATED",
            "REJECTED", "FAILED", "CANCELLED");

    @Inject
    Console console;

    @GET
    public TemplateInstance list(@CookieParam(ConsoleSessions.COOKIE) String cookie, @QueryParam("status") String status,
                                 @QueryParam("modelId") Long modelId) {
        ConsoleSession s = console.require(cookie, "/batches");
        String st = status != null && STATUSES.contains(status) ? status : null;
        List<BatchRow> rows = rows(s.registry(), st, modelId);
        List<Option> statuses = new ArrayList<>();
        statuses.add(new Option("", "any status", st == null));
        STATUSES.forEach(x -> statuses.add(new Option(x, x.toLowerCase(java.util.Locale.ROOT), x.equals(st))));
        List<Option> models = new ArrayList<>();
        s.registry().get("/api/models").forEach(m -> models.add(new Option(m.path("id").asText(),
                m.path("name").asText(), false)));
        return Templates.batches(console.page(s, "Batches", "batches"), rows, statuses, query(st, modelId),
                rows.stream().anyMatch(BatchRow::active), models, METHODS);
    }

    /**
     * The submit form's methods: first none named (preselected), which the registry reads as the
     * branch's method, the recommended one on a new branch (docs/API.md), so a branch keeps the method
     * its hook state continues under; then the recommended one, the paper's and the other hook methods.
     */
    static final List<Option> METHODS = List.of(
            new Option("", "the method of the branch (codebook-subject, recommended, on a new branch)", true),
            new Option("codebook-subject", "codebook-subject (recommended: an edit's row is taken only after its subject "
                    + "appeared in the text)", false),
            new Option("codebook-nearest", "codebook-nearest (the same without the subject gate)", false),
            new Option("alphaedit-shards", "alphaedit-shards (AlphaEdit's update under the same scope, a delta per shard)", false),
            new Option("alphaedit-nearest", "alphaedit-nearest (the same with one hook delta for every edit)", false),
            new Option("coachhook-nearest", "coachhook-nearest (CoachHooK's update under the same scope)", false),
            new Option("coachhook", "coachhook (the paper's method)", false),
            new Option("coachhook-span-relation", "coachhook-span-relation (a span per relation label)", false),
            new Option("coachhook-span", "coachhook-span", false),
            new Option("coachhook-corpus", "coachhook-corpus", false),
            new Option("coachhook-plus", "coachhook-plus", false));

    /**
     * Submits a batch (SUBMITTER) from the form: the edits are a JSON array of API edits; the
     * registry checks them and answers problems, shown as the console's error page.
     */
    @POST
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response submit(@CookieParam(ConsoleSessions.COOKIE) String cookie, @FormParam("csrf") String csrf,
                           @FormParam("modelId") Long modelId, @FormParam("method") String method,
                           @FormParam("branch") String branch, @FormParam("reason") String reason,
                           @FormParam("edits") String edits) {
        ConsoleSession s = console.requireForm(cookie, csrf, "/batches");
        if (modelId == null || Console.field(reason) == null || Console.field(edits) == null) {
            return error(s, "A model, a reason and the edits are required.");
        }
        JsonNode parsed;
        try {
            parsed = RegistryClient.json().readTree(edits);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return error(s, "The edits are not JSON: " + e.getOriginalMessage());
        }
        if (parsed == null || !parsed.isArray() || parsed.isEmpty()) {
            return error(s, "The edits must be a non-empty JSON array of edits (docs/API.md, \"Edit batch\").");
        }
        ObjectNode body = RegistryClient.json().createObjectNode().put("modelId", modelId).put("reason", reason.strip());
        if (Console.field(method) != null) {
            body.put("method", method.strip());
        }
        if (Console.field(branch) != null) {
            body.put("branch", branch.strip());
        }
        body.set("edits", parsed);
        JsonNode b = s.registry().post("/api/batches", body);
        s.flash("Batch " + b.path("id").asText() + " submitted: " + parsed.size() + " edits, method "
                + b.path("method").asText() + ".");
        return Console.seeOther("/batches/" + b.path("id").asText());
    }

    private Response error(ConsoleSession s, String message) {
        String html = Templates.error(console.page(s, "Not done", "batches"), 400, "Not done", message, null, List.of(),
                "/batches").render();
        return Response.status(400).type(MediaType.TEXT_HTML_TYPE.withCharset("UTF-8")).entity(html).build();
    }

    /** The table body alone, for htmx polling. */
    @GET
    @Path("rows")
    public TemplateInstance rowsFragment(@CookieParam(ConsoleSessions.COOKIE) String cookie,
                                         @QueryParam("status") String status, @QueryParam("modelId") Long modelId) {
        ConsoleSession s = console.require(cookie, "/batches");
        String st = status != null && STATUSES.contains(status) ? status : null;
        List<BatchRow> rows = rows(s.registry(), st, modelId);
        return Templates.batches$rows(rows, query(st, modelId), rows.stream().anyMatch(BatchRow::active));
    }

    @GET
    @Path("{id}")
    public TemplateInstance batch(@CookieParam(ConsoleSessions.COOKIE) String cookie, @PathParam("id") long id) {
        ConsoleSession s = console.require(cookie, "/batches/" + id);
        RegistryClient api = s.registry();
        JsonNode b = api.get("/api/batches/" + id);
        BatchRow batch = BatchRow.of(b);
        List<FactRow> facts = new ArrayList<>();
        b.path("edits").forEach(e -> facts.add(FactRow.of("batch " + id, e)));
        VersionRow version = null;
        if (batch.resultVersionId() != null) {
            JsonNode v = api.get("/api/versions/" + batch.resultVersionId());
            version = VersionRow.of(v, RegistryReads.channelsByVersion(RegistryReads.channels(api, batch.modelId())), null);
        }
        return Templates.batch(console.page(s, "Batch " + id, "batches"), batch,
                RegistryReads.modelName(api, batch.modelId()), facts, version);
    }

    /** The progress panel alone, for htmx polling while the batch is pending or running. */
    @GET
    @Path("{id}/progress")
    public TemplateInstance progress(@CookieParam(ConsoleSessions.COOKIE) String cookie, @PathParam("id") long id) {
        ConsoleSession s = console.require(cookie, "/batches/" + id);
        return Templates.batch$progress(BatchRow.of(s.registry().get("/api/batches/" + id)));
    }

    private static List<BatchRow> rows(RegistryClient api, String status, Long modelId) {
        StringBuilder q = new StringBuilder("/api/batches?limit=200");
        if (status != null) {
            q.append("&status=").append(status);
        }
        if (modelId != null) {
            q.append("&modelId=").append(modelId);
        }
        List<BatchRow> rows = new ArrayList<>();
        api.get(q.toString()).forEach(b -> rows.add(BatchRow.of(b)));
        return rows;
    }

    private static String query(String status, Long modelId) {
        String q = "";
        if (status != null) {
            q += "status=" + status;
        }
        if (modelId != null) {
            q += (q.isEmpty() ? "" : "&") + "modelId=" + modelId;
        }
        return q;
    }
}
