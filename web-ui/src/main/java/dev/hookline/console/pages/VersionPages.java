/*
 * Review pages of the console: the queue of versions awaiting validation (batches COMPUTED,
 * their versions TEMPORARY) and one version (facts, metrics, alpha, hook state norms,
 * z-scores), with approve / reject (comment required) and pin. Four-eyes: the submitter is
 * shown no review buttons, and the API refuses them anyway (403 four-eyes, shown as is).
 */
package dev.hookline.console.pages;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.RegistryClient;
import dev.hookline.console.session.ConsolePage;
import dev.hookline.console.session.ConsoleSession;
import dev.hookline.console.session.ConsoleSessions;
import dev.hookline.console.view.Charts;
import dev.hookline.console.view.Views.BatchRow;
import dev.hookline.console.view.Views.ChannelRow;
import dev.hookline.console.view.Views.FactRow;
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
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code /versions/...}. */
@Path("/versions")
@ConsolePage
@Produces(MediaType.TEXT_HTML)
public class VersionPages {

    @Inject
    Console console;

    @GET
    @Path("{id}")
    public TemplateInstance version(@CookieParam(ConsoleSessions.COOKIE) String cookie, @PathParam("id") long id) {
        ConsoleSession s = console.require(cookie, "/versions/" + id);
        RegistryClient api = s.registry();
        JsonNode v = api.get("/api/versions/" + id);
        long modelId = v.path("modelId").asLong();
        JsonNode b = api.get("/api/batches/" + v.path("batchId").asLong());
        BatchRow batch = BatchRow.of(b);
        List<FactRow> facts = new ArrayList<>();
        b.path("edits").forEach(e -> facts.add(FactRow.of("batch " + batch.id(), e)));
        List<JsonNode> channels = RegistryReads.channels(api, modelId);
        VersionRow row = VersionRow.of(v, RegistryReads.channelsByVersion(channels), Map.of(batch.id(), batch.branch()));
        boolean own = row.submitter().equals(s.principal());
        JsonNode ev = api.get("/api/versions/" + id + "/evidence");
        List<dev.hookline.console.view.Views.EvidenceRow> evidence = new ArrayList<>();
        ev.path("facts").forEach(f -> evidence.add(dev.hookline.console.view.Views.EvidenceRow.of(f)));
        List<dev.hookline.console.view.Views.GenerationRow> generations = new ArrayList<>();
        ev.path("generations").forEach(g -> generations.add(dev.hookline.console.view.Views.GenerationRow.of(g)));
        return Templates.version(console.page(s, "Version v" + row.number(), "review"), row, batch,
                RegistryReads.modelName(api, modelId), facts, row.temporary() && s.has("REVIEWER") && !own, own,
                channels.stream().map(ChannelRow::of).toList(), Charts.zScores("z", v), evidence, generations,
                ev.path("recorded").asBoolean(false), ev.path("failures").asInt(0));
    }

    @POST
    @Path("{id}/validate")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response validate(@CookieParam(ConsoleSessions.COOKIE) String cookie, @PathParam("id") long id,
                             @FormParam("csrf") String csrf, @FormParam("comment") String comment,
                             @FormParam("override") String override, @FormParam("overrideReason") String overrideReason) {
        return review(cookie, id, csrf, comment, "validate", "approved", "true".equals(override),
                Console.field(overrideReason));
    }

    @POST
    @Path("{id}/reject")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response reject(@CookieParam(ConsoleSessions.COOKIE) String cookie, @PathParam("id") long id,
                           @FormParam("csrf") String csrf, @FormParam("comment") String comment) {
        return review(cookie, id, csrf, comment, "reject", "rejected", false, null);
    }

    private Response review(String cookie, long id, String csrf, String comment, String action, String done,
                            boolean override, String overrideReason) {
        ConsoleSession s = console.requireForm(cookie, csrf, "/versions/" + id);
        String text = Console.field(comment);
        if (text == null) {
            String html = Templates.error(console.page(s, "Comment required", "review"), 400, "Comment required",
                    "A review needs a comment saying why; nothing was recorded.", null, List.of("comment: required"),
                    "/versions/" + id).render();
            return Response.status(400).type(MediaType.TEXT_HTML_TYPE.withCharset("UTF-8")).entity(html).build();
        }
        Map<String, Object> body = new HashMap<>();
        body.put("comment", text);
        if (override) {
            body.put("override", true);
            body.put("overrideReason", overrideReason == null ? "" : overrideReason);
        }
        JsonNode v = s.registry().post("/api/versions/" + id + "/" + action, body);
        s.flash("Version v" + v.path("number").asInt() + " " + done + ".");
        return Console.seeOther("/versions/" + id);
    }
}
