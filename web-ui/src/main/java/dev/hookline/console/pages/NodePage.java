/*
 * The page of one serving node (issue 25): what it runs, its report history, and a warning when
 * it stopped reporting (no heartbeat for longer than NodeRow.STALE_AFTER).
 */
package dev.hookline.console.pages;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.RegistryClient;
import dev.hookline.console.session.ConsolePage;
import dev.hookline.console.session.ConsoleSession;
import dev.hookline.console.session.ConsoleSessions;
import dev.hookline.console.view.Views.NodeReportRow;
import dev.hookline.console.view.Views.NodeRow;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code /nodes/{id}}. */
@Path("/nodes")
@ConsolePage
@Produces(MediaType.TEXT_HTML)
public class NodePage {

    @Inject
    Console console;

    @GET
    @Path("{id}")
    public TemplateInstance node(@CookieParam(ConsoleSessions.COOKIE) String cookie, @PathParam("id") long id) {
        ConsoleSession s = console.require(cookie, "/nodes/" + id);
        RegistryClient api = s.registry();
        JsonNode h = api.get("/api/nodes/" + id + "/history?limit=100");
        JsonNode n = h.path("node");
        Long modelId = n.path("modelId").isIntegralNumber() ? n.path("modelId").asLong() : null;
        Map<Long, Integer> numbers = modelId == null ? Map.of()
                : RegistryReads.numbers(RegistryReads.versions(api, modelId));
        List<NodeReportRow> reports = new ArrayList<>();
        h.path("reports").forEach(r -> reports.add(NodeReportRow.of(r, numbers)));
        NodeRow row = NodeRow.of(n, numbers);
        return Templates.node(console.page(s, "Node " + row.name(), "models"), row,
                modelId == null ? "—" : RegistryReads.modelName(api, modelId), modelId, reports);
    }
}
