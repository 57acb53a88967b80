package dev.caravan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;

import dev.caravan.simulator.Fault;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The live console in a real headless Chromium, against a real gateway: it loads without a script error, lists
 * every provider, and shows a breaker opening, a failover and the recovery after faults injected and healed by
 * clicking the page's own buttons.
 */
class ConsoleBrowserTest {

    @RegisterExtension
    private static final GatewayExtension gateway = GatewayExtension.of(List.of("alpha", "beta"), Gateway.props(
            // alpha first whenever it is usable, so its breaker sees every request
            "caravan.routing.policy", "priority",
            "caravan.breaker.minimum-calls", "4",
            "caravan.breaker.sliding-window-size", "4",
            "caravan.breaker.wait-in-open", "2s",
            "caravan.breaker.half-open-calls", "2",
            "caravan.retry.backoff", "10ms"));

    private static WebDriver browser;
    private static Path profile;

    @BeforeAll
    static void start() throws Exception {
        profile = Files.createTempDirectory("caravan-console-chromium-");
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,1200", "--user-data-dir=" + profile);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
    }

    @BeforeEach
    void open() {
        browser.get("http://127.0.0.1:" + gateway.managementPort() + "/console");
    }

    @Test
    void loadsWithoutScriptErrorsAndListsEveryProvider() {
        waitUpTo(15).until(b -> b.findElements(By.cssSelector("[data-provider]")).size() == 2);
        assertThat(attributes("[data-provider]", "data-provider")).containsExactly("alpha", "beta");
        waitUpTo(15).until(b -> b.findElement(By.id("live")).getText().startsWith("live"));
        assertThat(attributes("#targets tbody tr", "data-target")).contains("alpha:model-alpha", "beta:model-beta");
        assertThat(errors()).isEmpty();
    }

    @Test
    void showsABreakerOpeningAFailoverAndTheRecoveryDrivenFromThePage() {
        waitUpTo(15).until(b -> b.findElements(By.cssSelector("[data-provider='alpha'] [data-fault='503']")).size() == 1);

        click("[data-provider='alpha'] [data-fault='503']");
        // the click reached the gateway's simulator, and the page says so
        waitUpTo(10).until(b -> Integer.valueOf(503).equals(gateway.provider("alpha").fault().status()));
        waitUpTo(10).until(b -> text("[data-provider='alpha'] [data-role='fault']").contains("503"));

        // traffic: alpha fails twice per request (one retry), beta answers, and alpha's breaker opens
        waitUpTo(20).until(b -> {
            gateway.chat("fast", "hello");
            return "open".equals(attribute("[data-provider='alpha']", "data-breaker"));
        });
        assertThat(text("[data-provider='alpha'] [data-role='breaker']")).isEqualTo("open");
        waitUpTo(10).until(b -> !b.findElements(By.cssSelector(
                "#failovers li[data-from='alpha:model-alpha'][data-to='beta:model-beta'][data-class='unavailable']"))
                .isEmpty());
        waitUpTo(10).until(b -> text("[data-provider='alpha'] [data-role='transitions']").contains("breaker closed → open"));

        click("[data-provider='alpha'] [data-action='heal']");
        waitUpTo(10).until(b -> Fault.none().equals(gateway.provider("alpha").fault()));
        // half-open after wait-in-open, then the probe calls succeed and it closes
        waitUpTo(30).until(b -> {
            gateway.chat("fast", "hello");
            return "closed".equals(attribute("[data-provider='alpha']", "data-breaker"));
        });
        waitUpTo(10).until(b -> text("[data-provider='alpha'] [data-role='transitions']")
                .contains("breaker half_open → closed"));
        assertThat(browser.findElements(By.cssSelector("[data-provider='alpha'] [data-role='fault']"))).isEmpty();
        assertThat(errors()).isEmpty();
    }

    private static WebDriverWait waitUpTo(int seconds) {
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(seconds), Duration.ofMillis(100));
        wait.ignoring(StaleElementReferenceException.class);
        return wait;
    }

    private static void click(String css) {
        waitUpTo(10).until(b -> {
            b.findElement(By.cssSelector(css)).click();
            return true;
        });
    }

    // the page re-renders its lists on every refresh: an element found just before may be gone when read, so each
    // read finds its elements afresh, again when one went stale in between

    private static String text(String css) {
        return waitUpTo(10).until(b -> {
            List<WebElement> found = b.findElements(By.cssSelector(css));
            return found.isEmpty() ? "" : found.getFirst().getText();
        });
    }

    private static String attribute(String css, String name) {
        return waitUpTo(10).until(b -> {
            List<WebElement> found = b.findElements(By.cssSelector(css));
            return Optional.ofNullable(found.isEmpty() ? null : found.getFirst().getAttribute(name));
        }).orElse(null);
    }

    private static List<String> attributes(String css, String name) {
        return waitUpTo(10).until(b -> b.findElements(By.cssSelector(css)).stream()
                .map(e -> e.getAttribute(name)).toList());
    }

    /** What the page logged as an error: script errors, failed loads. */
    private static List<String> errors() {
        return browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue()).map(LogEntry::getMessage).toList();
    }
}
