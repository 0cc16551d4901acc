/*
 * The governance console in a real headless Chromium (Selenium 4 + the Debian chromium and
 * chromium-driver), against the real registry of the test profile (embedded PostgreSQL +
 * S3Proxy). The versions under review are produced over the API as the editor worker produces
 * them (lease, upload blobs, heartbeat, complete with SHARED-CONTRACTS metrics), see
 * ConsoleFixtures. Screenshots at 1280 px and 390 px go to target/screenshots.
 */
package dev.hookline.registry.console;

import dev.hookline.registry.Fixtures;
import dev.hookline.registry.HooklineTestResources;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.hookline.registry.Fixtures.as;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@QuarkusTestResource(HooklineTestResources.class)
class ConsoleBrowserTest {

    static final Path SHOTS = Path.of("target", "screenshots");
    static final String CHROMIUM = "/usr/bin/chromium";
    static final String CHROMEDRIVER = "/usr/bin/chromedriver";

    static WebDriver driver;
    static Path profile;

    @TestHTTPResource("/")
    URL root;

    @BeforeAll
    static void browser() throws IOException {
        assertTrue(Files.isExecutable(Path.of(CHROMIUM)) && Files.isExecutable(Path.of(CHROMEDRIVER)),
                "the browser tests need Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)");
        Files.createDirectories(SHOTS);
        profile = Files.createTempDirectory("hookline-chromium-");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--no-first-run", "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=1280,900");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
    }

    @AfterAll
    static void quit() throws IOException {
        if (driver != null) {
            driver.quit();
        }
        if (profile != null) {
            try (Stream<Path> s = Files.walk(profile)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * A reviewer signs in, opens a computed version from the review queue, sees its facts and
     * metrics and approves it with the keyboard; a release manager pins it to prod and rolls
     * prod back; the audit page shows the approval and both channel moves.
     */
    @Test
    void reviewApprovePinRollbackAndAudit() {
        String alice = Fixtures.token(Fixtures.unique("alice"), "SUBMITTER");
        String bobPrincipal = Fixtures.unique("bob");
        String bob = Fixtures.token(bobPrincipal, "REVIEWER");
        String relPrincipal = Fixtures.unique("rel");
        String rel = Fixtures.token(relPrincipal, "RELEASER");
        String worker = Fixtures.token(Fixtures.unique("worker"), "WORKER");
        long model = Fixtures.model(Fixtures.unique("console-browser"));
        // v1: computed by a worker with the older three-number metrics, validated, pinned to prod
        Fixtures.batch(alice, model, "main", 2);
        long v1 = ConsoleFixtures.complete(worker, ConsoleFixtures.lease(worker, model),
                ConsoleFixtures.alpha(2.2, 1.9, 2.2, 2.05), ConsoleFixtures.oldMetrics());
        as(bob).contentType(ContentType.JSON).body(Map.of("comment", "baseline")).post("/api/versions/" + v1 + "/validate")
                .then().statusCode(200);
        as(rel).contentType(ContentType.JSON).body(Map.of("versionId", v1, "reason", "first release"))
                .put("/api/models/" + model + "/channels/prod").then().statusCode(200);
        // v2: leased, heartbeated and completed by a worker with the full metrics schema
        Fixtures.batch(alice, model, "main", 3);
        ConsoleFixtures.Lease lease = ConsoleFixtures.lease(worker, model);
        ConsoleFixtures.heartbeat(worker, lease, "value-step", 50);
        long v2 = ConsoleFixtures.complete(worker, lease, ConsoleFixtures.alpha(1.9, 1.85, 2.05, 2.0),
                ConsoleFixtures.fullMetrics(5, 3));

        // --- the reviewer
        signIn(bob, "/review");
        click(By.cssSelector("a[href='/versions/" + v2 + "']"));
        waitText(By.tagName("h1"), "Version v2");
        List<WebElement> facts = driver.findElements(By.cssSelector(".facts-table tbody tr"));
        assertEquals(3, facts.size(), "the three facts of the batch");
        assertEquals("The mother tongue of Subject0 is", facts.get(0).findElement(By.cssSelector(".statement")).getText());
        assertEquals("French", facts.get(0).findElement(By.cssSelector(".target-new")).getText());
        assertEquals("0.970", metric("reliability"));
        assertEquals("0.900", metric("generality"));
        assertEquals("0.990", metric("locality"));
        assertEquals("0.960", metric("regression.reliability"));
        assertEquals("5", metric("editsCumulative"));
        // uPlot drew both z-score histograms (7 bins each): scripts and webjars load under the CSP
        new WebDriverWait(driver, Duration.ofSeconds(15)).until(d -> d.findElements(By.cssSelector(".plot[data-drawn='7']")).size() == 2);
        assertEquals(1, driver.findElements(By.id("approve")).size());
        screenshots("version-review");

        WebElement comment = driver.findElement(By.id("approve-comment"));
        comment.click();
        comment.sendKeys("facts and metrics checked");
        comment.sendKeys(Keys.TAB);
        assertEquals("approve", driver.switchTo().activeElement().getAttribute("id"), "Tab reaches the approve button");
        driver.switchTo().activeElement().sendKeys(Keys.ENTER);
        waitText(By.id("version-state"), "VALIDATED");
        waitText(By.cssSelector(".flash"), "Version v2 approved.");
        assertEquals(0, driver.findElements(By.id("approve")).size());
        as(bob).get("/api/versions/" + v2).then().body("state", equalTo("VALIDATED"))
                .body("reviewer", equalTo(bobPrincipal)).body("reviewComment", equalTo("facts and metrics checked"));
        signOut();

        // --- the release manager: pin v2 to prod from the version page, then roll prod back
        signIn(rel, "/versions/" + v2);
        waitText(By.tagName("h1"), "Version v2");
        WebElement channel = driver.findElement(By.id("pin-channel"));
        channel.clear();
        channel.sendKeys("prod");
        driver.findElement(By.id("pin-reason")).sendKeys("release the reviewed facts");
        click(By.id("pin"));
        // nothing moves before the release manager confirms current -> target
        waitText(By.id("confirm-target"), "v2");
        assertTrue(driver.findElement(By.id("confirm-current")).getText().startsWith("v1"));
        assertEquals("3", driver.findElement(By.id("confirm-added")).getText());
        assertEquals("0", driver.findElement(By.id("confirm-removed")).getText());
        as(rel).get("/api/models/" + model + "/channels/prod").then().body("versionId", equalTo((int) v1));
        screenshots("confirm-pin");
        click(By.id("confirm"));
        waitText(By.cssSelector(".flash"), "Channel prod now points at v2.");
        as(rel).get("/api/models/" + model + "/channels/prod").then().body("versionId", equalTo((int) v2));

        driver.get(url("/models/" + model + "/channels/prod"));
        waitText(By.id("channel-version"), "v2");
        assertEquals(2, driver.findElements(By.cssSelector("table.history tbody tr")).size());
        driver.findElement(By.id("rollback-reason")).sendKeys("locality regression reported");
        click(By.id("rollback"));
        waitText(By.id("confirm-target"), "v1");
        assertEquals("3", driver.findElement(By.id("confirm-removed")).getText());
        click(By.id("confirm"));
        waitText(By.cssSelector(".flash"), "Channel prod rolled back to v1.");
        waitText(By.id("channel-version"), "v1");
        List<WebElement> history = driver.findElements(By.cssSelector("table.history tbody tr"));
        assertEquals(3, history.size());
        assertTrue(history.get(0).getText().contains("ROLLBACK"), history.get(0).getText());
        assertTrue(history.get(0).getText().contains("locality regression reported"));
        as(rel).get("/api/models/" + model + "/channels/prod").then().body("versionId", equalTo((int) v1))
                .body("history[0].kind", equalTo("ROLLBACK"));
        screenshots("channel");
        signOut();

        // --- the audit page shows the approval and both moves, with the chain status of the API
        signIn(bob, "/audit?actor=" + relPrincipal);
        List<String> relActions = texts(By.cssSelector("table.audit td.action"));
        assertEquals(List.of("channel.rolled_back", "channel.moved", "channel.moved"), relActions);
        Response verify = as(bob).get("/api/audit/verify");
        String chain = driver.findElement(By.id("chain-status")).getText();
        if (verify.<Boolean>path("ok")) {
            assertTrue(chain.startsWith("Chain verified"), chain);
        } else {
            assertTrue(chain.contains("BROKEN at seq " + verify.path("brokenAtSeq")), chain);
        }
        screenshots("audit");
        driver.get(url("/audit?actor=" + bobPrincipal + "&action=version.validated"));
        List<WebElement> approvals = driver.findElements(By.cssSelector("table.audit tbody tr"));
        assertEquals(2, approvals.size(), "v1 (over the API) and v2 (in the console)");
        assertTrue(approvals.get(0).getText().contains(" " + v2), approvals.get(0).getText());

        // --- a serving node follows prod and reports v1 after the rollback
        String serving = Fixtures.token(Fixtures.unique("node"), "SERVING");
        String nodeName = Fixtures.unique("node");
        long node = as(serving).contentType(ContentType.JSON).body(Map.of("name", nodeName, "modelId", model, "channel", "prod"))
                .post("/api/nodes").then().statusCode(200).extract().<Number>path("id").longValue();
        as(serving).contentType(ContentType.JSON).body(Map.of("versionId", v1, "status", "SERVING"))
                .post("/api/nodes/" + node + "/heartbeat").then().statusCode(200);

        // --- model page (nodes, lineage with channel markers) and charts along the branch
        driver.get(url("/models/" + model));
        WebElement nodeRow = driver.findElement(By.xpath("//th[normalize-space()='" + nodeName + "']/.."));
        assertTrue(nodeRow.getText().contains("v1") && nodeRow.getText().contains("SERVING"), nodeRow.getText());
        List<WebElement> lineage = driver.findElements(By.cssSelector(".lineage li"));
        assertEquals(3, lineage.size(), "v0, v1, v2");
        assertTrue(lineage.get(1).getText().contains("prod"), "prod marks v1 after the rollback");
        screenshots("model");
        driver.get(url("/models/" + model + "/charts"));
        new WebDriverWait(driver, Duration.ofSeconds(15)).until(d -> d.findElements(By.cssSelector(".plot[data-drawn]")).size() == 4);
        assertEquals(2, driver.findElements(By.cssSelector(".plot[data-drawn='2']")).size(), "quality and alpha over v1, v2");
        screenshots("charts");
        driver.get(url("/models/" + model + "/diff?from=" + v1 + "&to=" + v2));
        waitText(By.cssSelector(".relation"), "v1 is an ancestor of v2");
        screenshots("diff");
        signOut();
    }

    /** The submitter sees no approve button, and a forged approve POST shows the API's 403 four-eyes. */
    @Test
    void aSubmitterCannotApproveTheirOwnBatch() {
        String carolPrincipal = Fixtures.unique("carol");
        String carol = Fixtures.token(carolPrincipal, "SUBMITTER", "REVIEWER");
        String worker = Fixtures.token(Fixtures.unique("worker"), "WORKER");
        long model = Fixtures.model(Fixtures.unique("console-four-eyes"));
        Fixtures.batch(carol, model, "main", 2);
        long v = ConsoleFixtures.complete(worker, ConsoleFixtures.lease(worker, model),
                ConsoleFixtures.alpha(2.2, 2.0, 2.2, 2.1), ConsoleFixtures.fullMetrics(2, 2));

        signIn(carol, "/versions/" + v);
        waitText(By.tagName("h1"), "Version v1");
        assertEquals(0, driver.findElements(By.id("approve")).size(), "no approve button for the submitter");
        assertEquals(0, driver.findElements(By.id("reject")).size());
        assertTrue(driver.findElement(By.id("four-eyes-note")).getText().contains("four-eyes"));
        screenshots("four-eyes-note");

        // forge the approve form by hand, with this session's valid CSRF token
        ((JavascriptExecutor) driver).executeScript(
                "var f = document.createElement('form'); f.method = 'post'; f.action = arguments[0];"
                        + "[['csrf', document.querySelector('input[name=csrf]').value], ['comment', 'my own batch is fine']]"
                        + ".forEach(function (p) { var i = document.createElement('input'); i.type = 'hidden';"
                        + " i.name = p[0]; i.value = p[1]; f.appendChild(i); });"
                        + "document.body.appendChild(f); f.submit();", "/versions/" + v + "/validate");
        waitText(By.cssSelector(".problem"), "HTTP 403");
        assertEquals("urn:hookline:problem:four-eyes", driver.findElement(By.cssSelector(".ptype")).getText());
        screenshots("four-eyes-refused");
        as(carol).get("/api/versions/" + v).then().body("state", equalTo("TEMPORARY"));
        signOut();
    }

    /** Batch progress updates live (htmx polling) while a worker heartbeats, without reloading the page. */
    @Test
    void batchProgressUpdatesLive() {
        String dave = Fixtures.token(Fixtures.unique("dave"), "SUBMITTER");
        String viewer = Fixtures.token(Fixtures.unique("viewer"), "REVIEWER");
        String worker = Fixtures.token(Fixtures.unique("worker"), "WORKER");
        long model = Fixtures.model(Fixtures.unique("console-progress"));
        long batch = Fixtures.batch(dave, model, "main", 2);
        ConsoleFixtures.Lease lease = ConsoleFixtures.lease(worker, model);
        assertEquals(batch, lease.batchId());
        ConsoleFixtures.heartbeat(worker, lease, "value-step", 40);

        signIn(viewer, "/batches/" + batch);
        waitText(By.cssSelector("#progress .progress-text"), "value-step 40 %");
        ((JavascriptExecutor) driver).executeScript("window.__samePage = 'yes';");
        ConsoleFixtures.heartbeat(worker, lease, "evaluate", 80);
        waitText(By.cssSelector("#progress .progress-text"), "evaluate 80 %");
        assertEquals("80", driver.findElement(By.cssSelector("#progress progress")).getAttribute("value"));
        ConsoleFixtures.complete(worker, lease, ConsoleFixtures.alpha(2.2, 2.0, 2.2, 2.1), ConsoleFixtures.fullMetrics(2, 2));
        waitText(By.cssSelector("#progress .progress-text"), "computed");
        waitText(By.id("batch-state"), "COMPUTED"); // the status is part of the live fragment (it stayed RUNNING before)
        assertEquals("yes", ((JavascriptExecutor) driver).executeScript("return window.__samePage;"),
                "updated in place by htmx, not by a reload");
        assertFalse(driver.findElement(By.id("progress")).getAttribute("outerHTML").contains("hx-trigger"),
                "polling stops once the batch is computed");
        driver.get(url("/batches?modelId=" + model));
        waitText(By.cssSelector("#batch-rows"), "computed");
        screenshots("batches");
        driver.get(url("/models"));
        screenshots("models");
        signOut();
    }

    // ------------------------------------------------------------------ helpers

    private String url(String path) {
        String base = root.toString();
        return (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + path;
    }

    /** Opens a page, gets sent to the sign-in form, types the token and presses Enter. */
    /**
     * Issue 25 in the browser: approving a version whose parent is unreviewed shows the API's
     * 409 naming the ancestor; rejecting the parent blocks the child (banner, no approve button);
     * recalling the channel's version shows a blocked banner on the channel page and the model page.
     */
    @Test
    void rejectedAncestorIsRefusedAndBlockedVersionsAreShown() {
        String alice = Fixtures.token(Fixtures.unique("alice"), "SUBMITTER");
        String bob = Fixtures.token(Fixtures.unique("bob"), "REVIEWER");
        String rel = Fixtures.token(Fixtures.unique("rel"), "RELEASER");
        String worker = Fixtures.token(Fixtures.unique("worker"), "WORKER");
        long model = Fixtures.model(Fixtures.unique("console-ancestry"));
        long[] v = new long[3];
        for (int i = 0; i < 3; i++) {
            Fixtures.batch(alice, model, "main", 1);
            v[i] = ConsoleFixtures.complete(worker, ConsoleFixtures.lease(worker, model),
                    ConsoleFixtures.alpha(2.2, 2.1, 2.2, 2.1), ConsoleFixtures.fullMetrics(i + 1, 1));
        }
        as(bob).contentType(ContentType.JSON).body(Map.of("comment", "ok")).post("/api/versions/" + v[0] + "/validate")
                .then().statusCode(200);
        as(rel).contentType(ContentType.JSON).body(Map.of("versionId", v[0], "reason", "canary"))
                .put("/api/models/" + model + "/channels/canary").then().statusCode(200);

        signIn(bob, "/versions/" + v[2]);
        waitText(By.tagName("h1"), "Version v3");
        driver.findElement(By.id("approve-comment")).sendKeys("looks fine");
        click(By.id("approve"));
        new WebDriverWait(driver, Duration.ofSeconds(15)).until(d -> d.getPageSource().contains("409"));
        assertTrue(driver.getPageSource().contains("ancestor version " + v[1]), "the API's ancestry problem is shown");
        as(bob).get("/api/versions/" + v[2]).then().body("state", equalTo("TEMPORARY"));
        screenshots("ancestry-refused");

        driver.get(url("/versions/" + v[1]));
        driver.findElement(By.id("reject-comment")).sendKeys("wrong facts");
        click(By.id("reject"));
        waitText(By.id("version-state"), "REJECTED");
        driver.get(url("/versions/" + v[2]));
        waitText(By.id("version-state"), "BLOCKED");
        assertTrue(driver.findElement(By.id("blocked-banner")).getText().contains("version " + v[1]));
        assertEquals(0, driver.findElements(By.id("approve")).size(), "a blocked version offers no approval");
        screenshots("version-blocked");
        signOut();

        // the canary's version is recalled: the channel page and the model page say so
        as(bob).contentType(ContentType.JSON).body(Map.of("comment", "recalled")).post("/api/versions/" + v[0] + "/reject")
                .then().statusCode(200);
        signIn(rel, "/models/" + model + "/channels/canary");
        waitText(By.id("channel-blocked"), "REJECTED");
        driver.get(url("/models/" + model));
        assertTrue(driver.findElement(By.cssSelector(".blocked-mark")).getText().contains("BLOCKED"));
        screenshots("channel-blocked");

        // charts along the branch: x-axis by version, alpha0 and the thresholds marked, v2 (rejected) and v3
        // (blocked) greyed; every version here is gone out of service, v1 included
        driver.get(url("/models/" + model + "/charts?leaf=" + v[2]));
        new WebDriverWait(driver, Duration.ofSeconds(15)).until(d -> d.findElements(By.cssSelector(".plot[data-drawn]")).size() >= 2);
        WebElement quality = driver.findElement(By.cssSelector(".plot[data-chart='quality-data']"));
        WebElement alpha = driver.findElement(By.cssSelector(".plot[data-chart='alpha-data']"));
        assertEquals("3", quality.getAttribute("data-greyed"), "v1 recalled, v2 rejected, v3 blocked");
        assertEquals("3", alpha.getAttribute("data-greyed"));
        assertEquals("1", alpha.getAttribute("data-marks"), "alpha0 marked on the alpha chart");
        String source = driver.getPageSource();
        assertTrue(source.contains("\"xLabels\":[\"v1\",\"v2\",\"v3\"]"), "alpha x-axis labelled by version");
        assertTrue(source.contains("\"yMarks\":[{\"value\":2.2,\"label\":\"alpha0 2.200\""), "alpha0 = 2.2 marked");
        List<WebElement> z = driver.findElements(By.cssSelector(".plot[data-chart^='z-']"));
        assertTrue(!z.isEmpty(), "z-score histograms of v3");
        for (WebElement plot : z) {
            assertEquals("2", plot.getAttribute("data-marks"), "alpha after and before marked on each histogram");
        }
        screenshots("charts-marked");
        signOut();
    }

    private void signIn(String token, String path) {
        driver.get(url("/signin"));
        driver.manage().deleteAllCookies();
        driver.get(url(path));
        new WebDriverWait(driver, Duration.ofSeconds(20)).until(ExpectedConditions.presenceOfElementLocated(By.id("token")));
        assertTrue(driver.getCurrentUrl().contains("/signin?next="), driver.getCurrentUrl());
        WebElement field = driver.findElement(By.id("token"));
        assertEquals("token", driver.switchTo().activeElement().getAttribute("id"), "the token field has focus");
        field.sendKeys(token);
        field.sendKeys(Keys.ENTER);
        String target = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
        new WebDriverWait(driver, Duration.ofSeconds(20)).until(d -> d.getCurrentUrl().contains(target)
                && !d.getCurrentUrl().contains("/signin"));
    }

    private void signOut() {
        click(By.cssSelector("form.who button"));
        new WebDriverWait(driver, Duration.ofSeconds(20)).until(d -> d.getCurrentUrl().contains("/signin"));
    }

    private void click(By by) {
        new WebDriverWait(driver, Duration.ofSeconds(20)).until(ExpectedConditions.elementToBeClickable(by)).click();
    }

    private void waitText(By by, String text) {
        new WebDriverWait(driver, Duration.ofSeconds(20)).until(ExpectedConditions.textToBePresentInElementLocated(by, text));
    }

    private String metric(String name) {
        return driver.findElement(By.cssSelector("[data-metric='" + name + "']")).getText();
    }

    private List<String> texts(By by) {
        return driver.findElements(by).stream().map(WebElement::getText).toList();
    }

    /**
     * Full-page screenshots at 1280 px and 390 px (phone) width; at phone width the page must not
     * scroll sideways (wide tables scroll inside their own box).
     */
    private void screenshots(String name) {
        JavascriptExecutor js = (JavascriptExecutor) driver;
        for (int width : new int[]{1280, 390}) {
            driver.manage().window().setSize(new Dimension(width, 900));
            // charts follow the width on the window's resize event (debounced), so give them a moment
            try {
                new WebDriverWait(driver, Duration.ofSeconds(5)).until(d -> ((Number) js.executeScript(
                        "return document.documentElement.scrollWidth - window.innerWidth;")).longValue() <= 0);
            } catch (org.openqa.selenium.TimeoutException e) {
                long inner = ((Number) js.executeScript("return window.innerWidth;")).longValue();
                long scroll = ((Number) js.executeScript("return document.documentElement.scrollWidth;")).longValue();
                throw new AssertionError(name + " at " + width + " px: page is " + scroll + " px wide, viewport " + inner);
            }
            // every visible form control has a label (screen readers), and the page has its landmarks
            Number unlabeled = (Number) js.executeScript("return Array.from(document.querySelectorAll("
                    + "'input:not([type=hidden]), select, textarea')).filter(function (e) {"
                    + " return !(e.labels && e.labels.length) && !e.getAttribute('aria-label'); }).length;");
            assertEquals(0, unlabeled.intValue(), name + ": form controls without a label");
            Number landmarks = (Number) js.executeScript("return document.querySelectorAll('header, main, footer').length;");
            assertEquals(3, landmarks.intValue(), name + ": banner, main and contentinfo landmarks");
            long height = ((Number) js.executeScript("return document.documentElement.scrollHeight;")).longValue();
            driver.manage().window().setSize(new Dimension(width, (int) Math.min(Math.max(height + 120, 600), 6000)));
            try {
                Files.write(SHOTS.resolve(name + "-" + width + ".png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        driver.manage().window().setSize(new Dimension(1280, 900));
    }
}
