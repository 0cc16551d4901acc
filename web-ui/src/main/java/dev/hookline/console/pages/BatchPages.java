/*
 * Batch pages of the console: the list with live progress (htmx polls a rows fragment while any
 * listed batch is pending or running) and one batch (facts, submitter, reason, progress, metrics
 * of its resulting version).
 */
package dev.hookline.console.pages;

import com.fasterxml.jackson.databind.JsonNode;
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
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

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
        return Templates.batches(console.page(s, "Batches", "batches"), rows, statuses, query(st, modelId),
                rows.stream().anyMatch(BatchRow::active));
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
