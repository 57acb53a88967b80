package dev.caravan.cost;

import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.ModelType;
import dev.caravan.chat.ChatMessage;
import dev.caravan.chat.ChatRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts the prompt tokens of a chat request before it is sent, with OpenAI's own tokenizers.
 *
 * <p>OpenAI models are counted as OpenAI's cookbook "How to count tokens with tiktoken" does, which
 * reproduces the API's {@code prompt_tokens}: each message costs 3 tokens plus its role, content and name
 * (1 more for a name), and 3 prime the reply. Tools are counted by the same notebook's formula for function
 * definitions. The notebook checks both against the API for gpt-3.5-turbo, gpt-4, gpt-4o and gpt-4o-mini;
 * gpt-4.1, gpt-5 and the o-series are assumed to frame messages alike. Such a count is exact; it turns
 * approximate when the request holds what has no documented formula (images, tool calls and results, other
 * content parts, a response format, nested tool parameters) or the model is not one of those.
 *
 * <p>Other vendors publish no tokenizer, so their counts are the nearest OpenAI encoding times a correction
 * factor, always approximate:
 * <ul>
 *   <li>Claude: o200k_base x {@value #CLAUDE_FACTOR}. Measured on Claude 3.5 Sonnet against GPT-4o, the same
 *       input came to about 16% more tokens for English prose, 21% for maths and 30% for Python code
 *       ("Hidden costs in AI deployment: why Claude models may be 20-30% more expensive than GPT", VentureBeat,
 *       2025); 1.20 sits between prose and code. Anthropic says the tokenizer of Opus 4.7 and later makes
 *       1.0-1.35x as many tokens again, which is not modelled.</li>
 *   <li>Gemini: o200k_base x {@value #GEMINI_FACTOR}, an assumption: no published comparison was found, and
 *       Google's rule of thumb (about 4 characters a token) is the one OpenAI gives for its tokenizers.</li>
 *   <li>Llama 3 and later: cl100k_base x {@value #LLAMA_FACTOR}. Meta's 128K-token vocabulary is tiktoken's
 *       cl100k_base plus 28K tokens for other languages, so English counts alike and other languages
 *       are over-counted a little.</li>
 *   <li>Any other model: cl100k_base x 1.0, an assumption.</li>
 * </ul>
 *
 * <p>Images are a flat estimate per image, since their size is not known without decoding them: the tokens
 * a 1024x1024 image costs by each vendor's documented formula (OpenAI's 512px tiles: 85 + 170 x 4 = 765,
 * 85 at {@code detail: low}, and gpt-4o-mini's 2833 + 5667 x 4; Claude's width x height / 750 = 1398;
 * Gemini's 768px tiles of 258 tokens = 1032). The correction factor does not apply to them.
 *
 * <p>The work is bounded whatever the prompt. BPE tokenizers are slow and memory-hungry on long runs without
 * whitespace (jtokkit's encoder for a piece of 500 bytes or more keeps a tree node per byte: a 4 MB word took
 * 10 s and over a gigabyte), so text is tokenized in chunks of at most {@value #CHUNK} characters, cut where a
 * whitespace run begins, which is where the tokenizers' own pre-splitting cuts, so the count stays exact; a run
 * without such a place is cut hard every {@value #HARD_CUT} characters, and each hard cut adds
 * {@value #CUT_SLACK} token, since the two halves may merge into one token fewer than the whole. And only the
 * first {@code exactChars} characters of a request are tokenized at all; the rest counts one token per UTF-8
 * byte, a ceiling no byte-level BPE tokenizer can exceed (each token is at least one byte). Past that size the count is flagged approximate and errs high,
 * which keeps routing safe: a high count never sends a prompt to a model too small for it and never lets a
 * call past the caller's cost cap; at worst a very long prompt skips a target whose window would have held it.
 *
 * <p>Each encoding is a table of 100-200K tokens, some 15-30 MB of live heap once loaded (about half a second
 * each), safe to share between threads. An estimator loads only the encodings its models count with. The gateway's
 * is {@linkplain #prepare prepared} at start with the configured models, whose encodings it loads then, off any
 * event loop, so no request waits for one; an encoding asked for later (a model no configuration named) is loaded
 * aside, on a virtual thread, while the estimates that need it count by the byte ceiling below (approximate, high),
 * so that an estimate made on an event loop never blocks it. An estimator never prepared loads an encoding on first
 * use, on the thread that needs it.
 *
 * <p>Longer than the other classes because the model-family factors and the bounds above are one argument: each
 * bound keeps the count exact or errs high, and split apart neither half could say why it is safe.
 */
public final class TokenEstimator {

    private static final Logger LOG = LoggerFactory.getLogger(TokenEstimator.class);

    /**
     * The number of prompt tokens, the encoding they were counted with, and whether the count is an estimate.
     *
     * @param boundedChars characters counted by the byte ceiling rather than tokenized (0 when all were)
     */
    public record Estimate(int promptTokens, String encoding, boolean approximate, long boundedChars) {

        public Estimate(int promptTokens, String encoding, boolean approximate) {
            this(promptTokens, encoding, approximate, 0);
        }
    }

    /** Characters of a request tokenized exactly unless configured otherwise: some 64K tokens of prose. */
    public static final int DEFAULT_EXACT_CHARS = 262_144;
    /** Longest text handed to the tokenizer at once, cut where a whitespace run begins. */
    static final int CHUNK = 1024;
    /** Where no whitespace allows a cut, the length of a hard cut: BPE is quadratic in a piece's length. */
    static final int HARD_CUT = 128;
    /** Tokens added for each cut inside a run without whitespace. */
    static final int CUT_SLACK = 1;
    /** Characters a request may have tokenized before its estimate counts as heavy and waits for a turn. */
    public static final int LIGHT_CHARS = 16_384;

    static final double CLAUDE_FACTOR = 1.20;
    static final double GEMINI_FACTOR = 1.0;
    static final double LLAMA_FACTOR = 1.0;

    /** Cookbook framing: tokens per message, per name, and the reply primer. */
    /** Reads the typed request parts back as JSON trees, the form the cookbook's counts are written against. */
    private static final ObjectMapper TREES = new ObjectMapper();
    private static final int PER_MESSAGE = 3;
    private static final int PER_NAME = 1;
    private static final int REPLY_PRIMER = 3;
    /** The roles a message may have (the request schema's): their tokens are counted once per encoding. */
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool", "function");

    private static final Pattern OPENAI_MODEL = Pattern.compile("(ft:)?(gpt-|chatgpt-|o\\d).*");
    private static final Pattern O200K_MODEL =
            Pattern.compile("(gpt-4o|chatgpt-4o|gpt-4\\.1|gpt-4\\.5|gpt-5|gpt-oss|o\\d).*");
    /** OpenAI chat models whose framing is the cookbook's; gpt-oss speaks another format. */
    private static final Pattern FRAMED_MODEL = Pattern.compile("(gpt-3\\.5|gpt-4|chatgpt-4o|gpt-5|o\\d).*");

    private enum Family {
        OPENAI, CLAUDE, GEMINI, LLAMA, OTHER
    }

    /** How one model's prompts are counted: its family, encoding, and whether its framing is the cookbook's. */
    private record Counting(String name, Family family, EncodingType encoding, boolean framed) {
    }

    /** A model estimates are made for: its provider's dialect and its upstream name. */
    public record Model(String dialect, String model) {
    }

    /** Most models an estimator remembers how to count; they come from configuration, so few are ever seen. */
    private static final int REMEMBERED = 4096;

    /**
     * By dialect, then by model name: strings from configuration, whose hashes are computed once (a key made of both
     * per estimate would be hashed, and compared, anew).
     */
    private final Map<String, Map<String, Counting>> countings = new ConcurrentHashMap<>();
    /** The encodings loaded so far, by type: each is loaded once, and only when a model counts with it. */
    private final Map<EncodingType, Encoding> encodings = new ConcurrentHashMap<>();
    /** Encodings being loaded aside for an estimator prepared without them. */
    private final Set<EncodingType> loadingAside = ConcurrentHashMap.newKeySet();
    /** Encodings whose load aside failed: warned of once each. */
    private final Set<EncodingType> failedAside = ConcurrentHashMap.newKeySet();
    private final EncodingRegistry registry;
    private volatile boolean prepared;
    private final Map<Encoding, Map<String, Integer>> roleTokens = new ConcurrentHashMap<>();
    private final int exactChars;
    private final LongAdder tokenizerCalls = new LongAdder();
    private final LongAccumulator longestTokenized = new LongAccumulator(Math::max, 0);
    /**
     * Turns for heavy estimates. Tokenizing is CPU work that never blocks, so a virtual thread doing it holds its
     * carrier thread: with fewer turns than cores, big prompts cannot take every carrier from other requests.
     */
    private final Semaphore heavyTurns;

    public TokenEstimator() {
        this(DEFAULT_EXACT_CHARS, Math.max(1, Runtime.getRuntime().availableProcessors() - 1));
    }

    /**
     * @param exactChars characters of a request tokenized exactly; the rest count by the byte ceiling
     * @param heavyTurns estimates past {@value #LIGHT_CHARS} characters tokenizing at once; more wait their turn
     */
    public TokenEstimator(int exactChars, int heavyTurns) {
        this(exactChars, heavyTurns, Encodings.newLazyEncodingRegistry());
    }

    /** With the encodings of {@code registry}. */
    TokenEstimator(int exactChars, int heavyTurns, EncodingRegistry registry) {
        this.registry = registry;
        if (exactChars < 0) {
            throw new IllegalArgumentException("exactChars must not be negative");
        }
        if (heavyTurns < 1) {
            throw new IllegalArgumentException("heavyTurns must be at least 1");
        }
        this.exactChars = exactChars;
        this.heavyTurns = new Semaphore(heavyTurns);
    }

    /**
     * An estimator as {@code caravan.estimate.exact-chars} and {@code caravan.estimate.heavy-concurrency} say;
     * a heavy concurrency of 0 is one less than the machine's cores (at least 1).
     */
    public static TokenEstimator of(int exactChars, int heavyConcurrency) {
        return new TokenEstimator(exactChars, heavyConcurrency > 0 ? heavyConcurrency
                : Math.max(1, Runtime.getRuntime().availableProcessors() - 1));
    }

    /** How many times this estimator called the tokenizer, over its life. */
    long tokenizerCalls() {
        return tokenizerCalls.sum();
    }

    /** The longest text this estimator handed the tokenizer in one call. */
    long longestTokenized() {
        return longestTokenized.get();
    }

    /**
     * Loads now, on this thread, the encodings {@code models} count with, in parallel; from then on an encoding
     * not loaded is loaded aside and never by an estimate (see the class comment).
     *
     * @return the encodings loaded, by name
     */
    public Set<String> prepare(Collection<Model> models) {
        Set<EncodingType> types = EnumSet.noneOf(EncodingType.class);
        models.forEach(m -> types.add(counting(m.dialect(), m.model()).encoding()));
        List<Thread> loads = types.stream()
                .map(type -> Thread.ofVirtual().name("caravan-tokenizer-" + type.getName())
                        .start(() -> encodings.computeIfAbsent(type, registry::getEncoding)))
                .toList();
        try {
            for (Thread load : loads) {
                load.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        prepared = true;
        return loadedEncodings();
    }

    /** The names of the encodings this estimator has loaded. */
    public Set<String> loadedEncodings() {
        Set<String> names = new TreeSet<>();
        encodings.keySet().forEach(type -> names.add(type.getName()));
        return names;
    }

    /** The encoding of {@code type}; null while a prepared estimator loads it aside. */
    private Encoding encoding(EncodingType type) {
        Encoding loaded = encodings.get(type);
        if (loaded != null || !prepared) {
            return loaded != null ? loaded : encodings.computeIfAbsent(type, registry::getEncoding);
        }
        if (loadingAside.add(type)) {
            Thread.ofVirtual().name("caravan-tokenizer-" + type.getName()).start(() -> {
                try {
                    encodings.computeIfAbsent(type, registry::getEncoding);
                } catch (RuntimeException e) {
                    // a later estimate tries again; until one succeeds its models count by the byte ceiling
                    if (failedAside.add(type)) {
                        LOG.warn("Tokenizer encoding {} failed to load; its models are estimated high by the byte "
                                + "ceiling until a later estimate loads it", type.getName(), e);
                    }
                } finally {
                    loadingAside.remove(type);
                }
            });
        }
        return null;
    }

    public Estimate estimate(ChatRequest request, String dialect, String model) {
        return estimate(request, counting(dialect, model));
    }

    /**
     * The estimate of {@code request} for {@code model}, taken from {@code counted} when a model counted alike (the
     * same model, perhaps at another provider) was estimated for the same request already, and kept there.
     *
     * @param counted the estimates made so far for this request, or null to keep none
     */
    public Estimate estimate(ChatRequest request, String dialect, String model, Map<Object, Estimate> counted) {
        Counting counting = counting(dialect, model);
        if (counted == null) {
            return estimate(request, counting);
        }
        Estimate known = counted.get(counting);
        if (known == null) {
            known = estimate(request, counting);
            counted.put(counting, known);
        }
        return known;
    }

    /**
     * A ceiling on {@link #estimate(ChatRequest, String, String)}'s {@code promptTokens} for {@code model}, made without
     * tokenizing: the same count with every text at its UTF-8 length (no byte-level BPE token is shorter than a byte),
     * plus the token each hard cut could add. For deciding what such a ceiling settles (a prompt that fits a context
     * window with room to spare) without counting exactly.
     */
    public long ceiling(ChatRequest request, String dialect, String model) {
        Counting counting = counting(dialect, model);
        Count count = new Count(null, counting.encoding(), counting.family(), counting.name(), 0);
        count.ceiling = true;
        count(request, count);
        count.text += CUT_SLACK; // a run cut short where the exact characters end
        return tokens(count, counting.family());
    }

    /**
     * Whether counting {@code request} would take a turn of the heavy estimates: its messages' text is past
     * {@value #LIGHT_CHARS} characters. The chat route's hop off the event loop ({@code offLoopForEstimate}) asks this
     * very method, so that no request counted in a heavy turn is counted on a loop.
     */
    public static boolean heavy(ChatRequest request) {
        if (request.messages() == null) {
            return false;
        }
        long chars = 0;
        for (ChatMessage message : request.messages()) {
            if (message.content() == null) {
                continue;
            }
            if (message.content().text() != null) {
                chars += message.content().text().length();
            } else {
                for (var part : message.content().asParts()) {
                    chars += part.text() == null ? 0 : part.text().length();
                }
            }
            if (chars >= LIGHT_CHARS) {
                return true;
            }
        }
        return false;
    }

    private void count(ChatRequest request, Count count) {
        try {
            count.messages(request);
            if (request.tools() != null && !request.tools().isEmpty()) {
                count.tools(TREES.valueToTree(request.tools())); // no tree for a request without tools
            }
            if (request.responseFormat() != null) {
                count.text(TREES.valueToTree(request.responseFormat()).toString());
                count.approximate = true;
            }
        } finally {
            count.endTurn();
        }
    }

    private static long tokens(Count count, Family family) {
        double factor = switch (family) {
            case CLAUDE -> CLAUDE_FACTOR;
            case GEMINI -> GEMINI_FACTOR;
            case LLAMA -> LLAMA_FACTOR;
            case OPENAI, OTHER -> 1.0;
        };
        return (long) Math.ceil(count.text * factor) + count.images;
    }

    private Estimate estimate(ChatRequest request, Counting counting) {
        String name = counting.name();
        Family family = counting.family();
        Encoding encoding = encoding(counting.encoding());
        Count count = new Count(encoding, counting.encoding(), family, name, encoding == null ? 0 : exactChars);
        count(request, count);
        long tokens = tokens(count, family);
        boolean approximate = count.approximate || count.bounded > 0 || family != Family.OPENAI
                || !counting.framed();
        return new Estimate((int) Math.min(Integer.MAX_VALUE, tokens), counting.encoding().getName(), approximate,
                count.bounded);
    }

    /**
     * How {@code model} counts {@code texts} as embedding inputs, as far as the count is exact: each text alone, with
     * no chat framing, all of them in one pass within this estimator's exact characters (shared, as a prompt's parts
     * share them). A text counts exactly only when it was tokenized whole, without a hard cut, by the model's own
     * tokenizer (an OpenAI model the tokenizer library knows); past the exact characters, and for a model whose
     * tokenizer is not published (Gemini's, Claude's, any other), nothing is counted exactly and nothing is tokenized.
     */
    public InputCount countInputs(List<String> texts, String dialect, String model) {
        return countInputs(texts, counting(dialect, model));
    }

    /**
     * As {@link #countInputs(List, String, String)}, taken from {@code counted} when a model counted alike (the same
     * model at another provider) was counted for the same texts already, and kept there.
     */
    public InputCount countInputs(List<String> texts, String dialect, String model, Map<Object, InputCount> counted) {
        Counting counting = counting(dialect, model);
        InputCount known = counted.get(counting);
        if (known == null) {
            known = countInputs(texts, counting);
            counted.put(counting, known);
        }
        return known;
    }

    private InputCount countInputs(List<String> texts, Counting counting) {
        if (!ownTokenizer(counting)) {
            return InputCount.NONE;
        }
        Encoding encoding = encoding(counting.encoding());
        if (encoding == null) {
            return InputCount.NONE; // still loading aside: nothing counts exactly yet
        }
        Count count = new Count(encoding, counting.encoding(), counting.family(), counting.name(), exactChars);
        long longest = 0;
        int longestAt = -1;
        long exactTotal = 0;
        boolean allExact = true;
        try {
            for (int i = 0; i < texts.size(); i++) {
                if (count.exactLeft <= 0) {
                    allExact = false; // the rest would count by the byte ceiling only
                    break;
                }
                long before = count.text;
                long boundedBefore = count.bounded;
                long cutsBefore = count.cuts;
                count.text(texts.get(i));
                if (count.bounded != boundedBefore || count.cuts != cutsBefore) {
                    allExact = false;
                    continue;
                }
                long tokens = count.text - before;
                exactTotal += tokens;
                if (tokens > longest) {
                    longest = tokens;
                    longestAt = i;
                }
            }
        } finally {
            count.endTurn();
        }
        return new InputCount(longest, longestAt, exactTotal, allExact);
    }

    /**
     * Texts counted as embedding inputs, as far as exactly.
     *
     * @param longest    the most tokens of one text counted exactly
     * @param longestAt  that text's index, or -1 when no text was counted exactly
     * @param exactTotal the tokens of the texts counted exactly, together: no more than all the texts hold
     * @param allExact   whether every text was counted exactly (then {@code exactTotal} is the count of all)
     */
    public record InputCount(long longest, int longestAt, long exactTotal, boolean allExact) {

        static final InputCount NONE = new InputCount(0, -1, 0, false);
    }

    /** Whether {@code counting} counts with the model's own tokenizer: an OpenAI model, its encoding known. */
    private static boolean ownTokenizer(Counting counting) {
        return counting.family() == Family.OPENAI && counting.framed()
                || ModelType.fromName(counting.name()).map(ModelType::getEncodingType)
                        .filter(type -> type == counting.encoding()).isPresent();
    }

    private Counting counting(String dialect, String model) {
        Map<String, Counting> ofDialect = countings.get(dialect == null ? "" : dialect);
        if (ofDialect == null) {
            ofDialect = countings.computeIfAbsent(dialect == null ? "" : dialect, d -> new ConcurrentHashMap<>());
        }
        String key = model == null ? "" : model;
        Counting known = ofDialect.get(key);
        if (known != null) {
            return known;
        }
        String name = model == null ? "" : model.trim().toLowerCase(Locale.ROOT);
        if (name.startsWith("openai/")) {
            name = name.substring("openai/".length());
        }
        Family family = family(name, dialect);
        Counting counting = new Counting(name, family, encoding(family, name), knownOpenAi(name));
        if (ofDialect.size() < REMEMBERED) {
            ofDialect.put(key, counting);
        }
        return counting;
    }

    private static Family family(String name, String dialect) {
        if (name.contains("claude")) {
            return Family.CLAUDE;
        }
        if (name.contains("gemini")) {
            return Family.GEMINI;
        }
        if (name.contains("llama")) {
            return Family.LLAMA;
        }
        if (OPENAI_MODEL.matcher(name).matches()) {
            return Family.OPENAI;
        }
        String d = dialect == null ? "" : dialect.toLowerCase(Locale.ROOT);
        return switch (d) {
            case "anthropic" -> Family.CLAUDE;
            case "gemini" -> Family.GEMINI;
            default -> Family.OTHER;
        };
    }

    private static EncodingType encoding(Family family, String name) {
        return switch (family) {
            case CLAUDE, GEMINI -> EncodingType.O200K_BASE;
            case LLAMA, OTHER -> EncodingType.CL100K_BASE;
            case OPENAI -> openAiEncoding(name);
        };
    }

    /**
     * OpenAI's encoding for a model. Models newer than the tokenizer library's registry are matched first:
     * its registry knows gpt-4o but reads gpt-4.1 as gpt-4 (cl100k_base), while tiktoken maps gpt-4.1,
     * gpt-4.5, gpt-5 and the o-series to o200k_base.
     */
    private static EncodingType openAiEncoding(String name) {
        String base = name.startsWith("ft:") ? name.substring(3) : name;
        if (O200K_MODEL.matcher(base).matches()) {
            return EncodingType.O200K_BASE;
        }
        // the registry's own lookup by model name (a known name, else a known prefix), without loading the encoding
        return ModelType.fromName(base)
                .or(() -> PREFIXED.stream().filter(type -> base.startsWith(type.getName())).findFirst())
                .map(ModelType::getEncodingType).orElse(EncodingType.O200K_BASE);
    }

    /** The models the tokenizer library also knows by prefix (dated versions), longest first, as it tries them. */
    private static final List<ModelType> PREFIXED = List.of(ModelType.GPT_4O, ModelType.GPT_4_32K, ModelType.GPT_4,
            ModelType.GPT_3_5_TURBO_16K, ModelType.GPT_3_5_TURBO);

    private static boolean knownOpenAi(String name) {
        return FRAMED_MODEL.matcher(name.startsWith("ft:") ? name.substring(3) : name).matches();
    }

    private final class Count {

        /** Null when the text counts by the byte ceiling only (its encoding is still loading). */
        private final Encoding encoding;
        private final EncodingType type;
        private final Family family;
        private final String model;
        /** Characters still to be tokenized exactly; past them, text counts by the byte ceiling. */
        private long exactLeft;
        long text;
        long images;
        long bounded;
        /** Hard cuts made: each added a token that may not be there. */
        long cuts;
        boolean approximate;
        /** Counting a ceiling only: text by its UTF-8 length and the hard cuts it could need, nothing tokenized. */
        boolean ceiling;
        private long tokenized;
        private boolean heavy;

        Count(Encoding encoding, EncodingType type, Family family, String model, long exactChars) {
            this.encoding = encoding;
            this.type = type;
            this.family = family;
            this.model = model;
            this.exactLeft = exactChars;
        }

        void text(String s) {
            if (s == null || s.isEmpty()) {
                return;
            }
            int from = 0;
            int length = s.length();
            while (from < length) {
                if (exactLeft <= 0) {
                    text += utf8Bytes(s, from, length);
                    if (ceiling) {
                        // each hard cut of a tokenized run adds a token, and cuts are HARD_CUT - 1 or more apart
                        text += (length - from) / (HARD_CUT - 1);
                    }
                    bounded += length - from;
                    return;
                }
                if (tokenized >= LIGHT_CHARS && !heavy && !takeTurn()) {
                    exactLeft = 0; // interrupted while waiting: the ceiling needs no turn
                    continue;
                }
                int limit = (int) Math.min(length, from + Math.min(CHUNK, exactLeft));
                int end = chunkEnd(s, from, limit);
                if (end < 0) {
                    end = hardCut(s, from, Math.min(limit, from + HARD_CUT));
                    text += CUT_SLACK;
                    cuts++;
                }
                String chunk = from == 0 && end == length ? s : s.substring(from, end);
                text += encoding.countTokensOrdinary(chunk);
                tokenizerCalls.increment();
                longestTokenized.accumulate(chunk.length());
                exactLeft -= end - from;
                tokenized += end - from;
                from = end;
            }
        }

        /** A role counts as {@link #text} would count it, from the encoding's count of it made once. */
        private void role(String role) {
            if (role == null || !ROLES.contains(role) || exactLeft < role.length()) {
                text(role);
                return;
            }
            text += roleTokens.computeIfAbsent(encoding, e -> new ConcurrentHashMap<>())
                    .computeIfAbsent(role, encoding::countTokensOrdinary);
            exactLeft -= role.length();
            tokenized += role.length();
        }

        private boolean takeTurn() {
            try {
                heavyTurns.acquire();
                heavy = true;
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }

        void endTurn() {
            if (heavy) {
                heavy = false;
                heavyTurns.release();
            }
        }

        void messages(ChatRequest request) {
            if (request.messages() == null) {
                return;
            }
            for (ChatMessage message : request.messages()) {
                text += PER_MESSAGE;
                role(message.role());
                if (message.name() != null) {
                    text(message.name());
                    text += PER_NAME;
                }
                if (message.content() != null && message.content().isText()) {
                    text(message.content().text()); // what its tree would say, without building one per message
                } else {
                    content(TREES.valueToTree(message.content()));
                }
                if (message.toolCalls() != null) {
                    for (JsonNode call : TREES.valueToTree(message.toolCalls())) {
                        text(call.path("function").path("name").asText(null));
                        text(call.path("function").path("arguments").asText(null));
                    }
                    approximate = true;
                }
                if (message.toolCallId() != null) {
                    text(message.toolCallId());
                    approximate = true;
                }
            }
            text += REPLY_PRIMER;
        }

        private void content(JsonNode content) {
            if (content == null || content.isNull()) {
                return;
            }
            if (content.isTextual()) {
                text(content.asText());
                return;
            }
            if (!content.isArray()) {
                text(content.toString());
                approximate = true;
                return;
            }
            for (JsonNode part : content) {
                String type = part.path("type").asText("");
                if (type.equals("text")) {
                    text(part.path("text").asText(""));
                } else if (type.equals("image_url")) {
                    images += imageTokens(part.path("image_url").path("detail").asText("auto"));
                    approximate = true;
                } else {
                    text(part.toString());
                    approximate = true;
                }
            }
        }

        private long imageTokens(String detail) {
            return switch (family) {
                case CLAUDE -> 1398;
                case GEMINI -> 1032;
                case OPENAI, LLAMA, OTHER -> {
                    boolean mini = model.startsWith("gpt-4o-mini");
                    boolean low = detail.equals("low");
                    yield mini ? (low ? 2833 : 2833 + 5667 * 4) : (low ? 85 : 85 + 170 * 4);
                }
            };
        }

        /** The cookbook's count of function definitions; anything not of that shape is counted as JSON text. */
        void tools(JsonNode tools) {
            if (tools == null || tools.isNull() || tools.isEmpty()) {
                return;
            }
            if (family != Family.OPENAI) {
                text(tools.toString());
                return;
            }
            boolean o200k = type == EncodingType.O200K_BASE;
            int functionStart = o200k ? 7 : 10;
            for (JsonNode tool : tools) {
                JsonNode function = tool.path("function");
                if (!function.isObject()) {
                    text(tool.toString());
                    approximate = true;
                    continue;
                }
                text += functionStart;
                text(function.path("name").asText("") + ":" + withoutFinalStop(function.path("description")));
                JsonNode properties = function.path("parameters").path("properties");
                if (properties.isObject() && !properties.isEmpty()) {
                    text += 3;
                    for (var property : properties.properties()) {
                        JsonNode schema = property.getValue();
                        text += 3;
                        JsonNode type = schema.path("type");
                        if (!type.isTextual() || type.asText().equals("object") || type.asText().equals("array")) {
                            approximate = true;
                        }
                        if (schema.path("enum").isArray()) {
                            text -= 3;
                            for (JsonNode item : schema.path("enum")) {
                                text += 3;
                                text(item.asText());
                            }
                        }
                        text(property.getKey() + ":" + (type.isTextual() ? type.asText() : type.toString()) + ":"
                                + withoutFinalStop(schema.path("description")));
                    }
                }
            }
            text += 12;
        }

        private static String withoutFinalStop(JsonNode description) {
            String s = description.asText("");
            return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
        }
    }

    /**
     * Where the chunk starting at {@code from} may end, at most at {@code limit}: the string's end, else the
     * last start of a whitespace run after non-whitespace, which no token of the tiktoken encodings spans
     * (a line break is not taken: punctuation keeps the line breaks after it); -1 when there is none.
     */
    static int chunkEnd(String s, int from, int limit) {
        if (limit == s.length()) {
            return limit;
        }
        for (int i = limit; i > from; i--) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c) && c != '\n' && c != '\r' && !Character.isWhitespace(s.charAt(i - 1))) {
                return i;
            }
        }
        return -1;
    }

    /** A cut at {@code limit}, moved so as not to split a surrogate pair: back one, or on one when back is empty. */
    private static int hardCut(String s, int from, int limit) {
        if (Character.isHighSurrogate(s.charAt(limit - 1)) && limit < s.length()
                && Character.isLowSurrogate(s.charAt(limit))) {
            return limit - 1 > from ? limit - 1 : limit + 1;
        }
        return limit;
    }

    /** The UTF-8 length of {@code s[from, to)}: the most tokens a byte-level BPE can make of it. */
    static long utf8Bytes(String s, int from, int to) {
        long bytes = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            // a surrogate pair is 4 bytes, 2 for each half; a lone surrogate is encoded as '?', 1 byte
            bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
        }
        return bytes;
    }

}
