/*
 * The review queue of the console: versions awaiting validation (their batches are COMPUTED,
 * the versions TEMPORARY), oldest work first as the API lists it.
 */
package dev.hookline.console.pages;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.RegistryClient;
import dev.hookline.console.session.ConsolePage;
import dev.hookline.console.session.ConsoleSession;
import dev.hookline.console.session.ConsoleSessions;
import dev.hookline.console.view.Views.BatchRow;
import dev.hookline.console.view.Views.VersionRow;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code /review}. */
@Path("/review")
@ConsolePage
@Produces(MediaType.TEXT_HTML)
public class ReviewQueuePage {

    @Inject
    Console console;

    @GET
    public TemplateInstance queue(@CookieParam(ConsoleSessions.COOKIE) String cookie) {
        ConsoleSession s = console.require(cookie, "/review");
        RegistryClient api = s.registry();
        Map<Long, String> modelNames = new HashMap<>();
        List<Templates.ReviewItem> items = new ArrayList<>();
        for (JsonNode b : api.get("/api/batches?status=COMPUTED&limit=200")) {
            BatchRow batch = BatchRow.of(b);
            if (batch.resultVersionId() == null) {
                continue;
            }
            JsonNode v = api.get("/api/versions/" + batch.resultVersionId());
            String model = modelNames.computeIfAbsent(batch.modelId(), m -> RegistryReads.modelName(api, m));
            items.add(new Templates.ReviewItem(VersionRow.of(v, null, Map.of(b.path("id").asLong(), batch.branch())),
                    batch, model, batch.submitter().equals(s.principal())));
        }
        return Templates.review(console.page(s, "Review queue", "review"), items);
    }

}
