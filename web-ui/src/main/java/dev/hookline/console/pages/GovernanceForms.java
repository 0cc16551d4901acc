/*
 * Console forms of issue 25 whose API already existed: a model's quality gate (ADMIN), a channel's
 * approvals policy (ADMIN) and a releaser's approval, and the revert of one batch (SUBMITTER).
 * Each form posts here (CSRF-checked), the registry API decides (its problems become the console's
 * error page through ConsoleErrors), and the browser goes back to the page with a flash message.
 */
package dev.hookline.console.pages;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.console.session.ConsolePage;
import dev.hookline.console.session.ConsoleSession;
import dev.hookline.console.session.ConsoleSessions;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** POST targets of the governance forms on the model, channel and version pages. */
@Path("/governance")
@ConsolePage
@Produces(MediaType.TEXT_HTML)
public class GovernanceForms {

    @Inject
    Console console;

    /** The model's quality gate; empty fields leave that bound unset. */
    @POST
    @Path("models/{id}/gate")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response gate(@CookieParam(ConsoleSessions.COOKIE) String cookie, @PathParam("id") long id,
                         @FormParam("csrf") String csrf, @FormParam("minReliability") String minReliability,
                         @FormParam("minGenerality") String minGenerality, @FormParam("minLocality") String minLocality,
                         @FormParam("maxRegression") String maxRegression, @FormParam("reason") String reason) {
        String here = "/models/" + id;
        ConsoleSession s = console.requireForm(cookie, csrf, here);
        Map<String, Object> body = new LinkedHashMap<>();
        String[][] bounds = {{"minReliability", minReliability}, {"minGenerality", minGenerality},
                {"minLocality", minLocality}, {"maxRegression", maxRegression}};
        for (String[] b : bounds) {
            String v = Console.field(b[1]);
            if (v == null) {
                continue;
            }
            try {
                body.put(b[0], Double.parseDouble(v));
            } catch (NumberFormatException e) {
                return refused(s, here, "Gate not set", b[0] + " is a number from 0 to 1, got '" + v + "'", b[0]);
            }
        }
        body.put("reason", Console.field(reason) == null ? "" : Console.field(reason));
        s.registry().put("/api/models/" + id + "/gate", body);
        s.flash("Quality gate set.");
        return Console.seeOther(here);
    }

    /** How many distinct releasers' approvals a move of the channel needs. */
    @POST
    @Path("models/{id}/channels/{name}/policy")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response policy(@CookieParam(ConsoleSessions.COOKIE) String cookie, @PathParam("id") long id,
                           @PathParam("name") String name, @FormParam("csrf") String csrf,
                           @FormParam("requiredApprovals") String required, @FormParam("reason") String reason) {
        String here = channelPage(id, name);
        ConsoleSession s = console.requireForm(cookie, csrf, here);
        int n;
        try {
            n = Integer.parseInt(Console.field(required) == null ? "" : Console.field(required));
        } catch (NumberFormatException e) {
            return refused(s, here, "Policy not set", "required approvals is a whole number from 1 to 5, got '"
                    + required + "'", "requiredApprovals");
        }
        s.registry().put("/api/models/" + id + "/channels/" + enc(name) + "/policy",
                Map.of("requiredApprovals", n, "reason", Console.field(reason) == null ? "" : Console.field(reason)));
        s.flash("Channel " + name + " now needs " + n + " approval" + (n == 1 ? "" : "s") + " per move.");
        return Console.seeOther(here);
    }

    /** A releaser's approval of a version for the channel. */
    @POST
    @Path("models/{id}/channels/{name}/approvals")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response approve(@CookieParam(ConsoleSessions.COOKIE) String cookie, @PathParam("id") long id,
                            @PathParam("name") String name, @FormParam("csrf") String csrf,
                            @FormParam("versionId") String versionId, @FormParam("comment") String comment) {
        String here = channelPage(id, name);
        ConsoleSession s = console.requireForm(cookie, csrf, here);
        long version;
        try {
            version = Long.parseLong(Console.field(versionId) == null ? "" : Console.field(versionId));
        } catch (NumberFormatException e) {
            return refused(s, here, "Not approved", "choose a version to approve", "versionId");
        }
        s.registry().post("/api/models/" + id + "/channels/" + enc(name) + "/approvals",
                Map.of("versionId", version, "comment", Console.field(comment) == null ? "" : Console.field(comment)));
        s.flash("Approval recorded for channel " + name + ".");
        return Console.seeOther(here);
    }

    /** Reverts the batch that produced the version; goes to the queued revert batch. */
    @POST
    @Path("versions/{id}/revert")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response revert(@CookieParam(ConsoleSessions.COOKIE) String cookie, @PathParam("id") long id,
                           @FormParam("csrf") String csrf, @FormParam("reason") String reason) {
        String here = "/versions/" + id;
        ConsoleSession s = console.requireForm(cookie, csrf, here);
        String text = Console.field(reason);
        if (text == null) {
            return refused(s, here, "Reason required", "A revert needs a reason; nothing was queued.", "reason");
        }
        JsonNode batch = s.registry().post("/api/versions/" + id + "/revert", Map.of("reason", text));
        s.flash("Revert queued: batch " + batch.path("id").asLong() + " on branch " + batch.path("branch").asText()
                + " replays the later batches without batch " + batch.path("revertsBatchId").asLong() + ".");
        return Console.seeOther("/batches/" + batch.path("id").asLong());
    }

    private Response refused(ConsoleSession s, String back, String title, String detail, String field) {
        String html = Templates.error(console.page(s, title, ""), 400, title, detail, null,
                List.of(field + ": " + detail), back).render();
        return Response.status(400).type(MediaType.TEXT_HTML_TYPE.withCharset("UTF-8")).entity(html).build();
    }

    private static String channelPage(long id, String name) {
        return "/models/" + id + "/channels/" + enc(name);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
