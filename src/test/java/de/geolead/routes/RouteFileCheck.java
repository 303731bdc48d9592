package de.geolead.routes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import org.apache.camel.Expression;
import org.apache.camel.LineNumberAware;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.ExpressionNode;
import org.apache.camel.model.ExpressionSubElementDefinition;
import org.apache.camel.model.FilterDefinition;
import org.apache.camel.model.LogDefinition;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.OnExceptionDefinition;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.RouteConfigurationDefinition;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.WhenDefinition;
import org.apache.camel.model.language.ExpressionDefinition;
import org.apache.camel.model.language.TypedExpressionDefinition;
import org.apache.camel.spi.Language;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What {@code camel-yaml-dsl-validator-maven-plugin} would tell about a routes file, as a test can run it: the file
 * against the YAML DSL schema shipped inside camel-yaml-dsl ({@code schema/camelYamlDsl.json}), then loaded with
 * Camel's own YAML loader, every expression's language resolved and compiled, every class it names loaded. Each
 * problem is one line {@code routes/x.camel.yaml:LINE:COLUMN: what}, lines and columns counted from 1.
 */
final class RouteFileCheck {

    static final Path ROUTES = Path.of("routes");
    private static final String SCHEMA = "/schema/camelYamlDsl.json";
    private static Schema schema;

    private RouteFileCheck() {
    }

    /** Every {@code *.camel.yaml} of the routes folder, read from disk when the test runs. */
    static List<Path> routeFiles() {
        try (Stream<Path> files = Files.list(ROUTES)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".camel.yaml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The schema problems of {@code file}; empty when it is valid. */
    static List<String> schemaProblems(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Mark> marks = new HashMap<>();
        JsonNode tree;
        try {
            Composer composer = new Composer(LoadSettings.builder().build(),
                    new ParserImpl(LoadSettings.builder().build(), new StreamReader(LoadSettings.builder().build(), text)));
            Node root = composer.getSingleNode().orElse(null);
            if (root == null) {
                return List.of(file + ":1:1: the file holds no routes");
            }
            tree = toJson(root, "", marks);
        } catch (MarkedYamlEngineException e) {
            Mark mark = e.getProblemMark().or(e::getContextMark).orElse(null);
            return List.of(where(file, mark) + ": not valid YAML: " + e.getProblem());
        }
        Set<String> problems = new LinkedHashSet<>();
        TreeMap<Integer, List<String>> byLine = new TreeMap<>();
        for (Error error : schema().validate(tree)) {
            if (isPlaceholderForAType(error)) {
                continue;
            }
            String pointer = pointer(error.getInstanceLocation());
            // an unknown key: point at the key itself rather than at the mapping holding it
            String name = name(error.getInstanceLocation());
            if (error.getProperty() != null && marks.containsKey(pointer + "/" + escape(error.getProperty()))) {
                pointer = pointer + "/" + escape(error.getProperty());
                name = "";
            }
            Mark mark = nearest(marks, pointer);
            String line = where(file, mark) + ": " + name + error.getMessage();
            if (problems.add(line)) {
                byLine.computeIfAbsent(mark == null ? 0 : mark.getLine(), k -> new ArrayList<>()).add(line);
            }
        }
        return byLine.values().stream().flatMap(List::stream).toList();
    }

    /**
     * Loads {@code file} with Camel's YAML loader (unknown steps and keys fail here), then resolves every language
     * an expression names and compiles the simple expressions and log messages, and loads every class the file names
     * (exceptions, result types). Empty when Camel accepts the file.
     */
    static List<String> camelProblems(Path file) {
        List<String> problems = new ArrayList<>();
        DefaultCamelContext context = new DefaultCamelContext(false);
        try {
            context.setSourceLocationEnabled(true);
            context.build();
            try {
                PluginHelper.getRoutesLoader(context).loadRoutes(
                        ResourceHelper.resolveResource(context, "file:" + file.toAbsolutePath()));
            } catch (Exception e) {
                Mark mark = null;
                for (Throwable t = e; t != null && mark == null; t = t.getCause() == t ? null : t.getCause()) {
                    if (t instanceof MarkedYamlEngineException marked) {
                        mark = marked.getProblemMark().or(marked::getContextMark).orElse(null);
                    }
                }
                return List.of(where(file, mark) + ": Camel's YAML loader refuses it: " + messages(e));
            }
            ModelCamelContext model = context;
            for (RouteConfigurationDefinition configuration : model.getRouteConfigurationDefinitions()) {
                for (OnExceptionDefinition onException : configuration.getOnExceptions()) {
                    check(context, file, onException, problems);
                }
            }
            for (RouteDefinition route : model.getRouteDefinitions()) {
                for (ProcessorDefinition<?> output : route.getOutputs()) {
                    check(context, file, output, problems);
                }
            }
        } finally {
            context.stop();
        }
        return problems;
    }

    private static void check(DefaultCamelContext context, Path file, ProcessorDefinition<?> node, List<String> problems) {
        String at = file + ":" + line(node);
        if (node instanceof OnExceptionDefinition onException) {
            for (String exception : onException.getExceptions()) {
                checkClass(context, at, exception, problems);
            }
            if (onException.getOnWhen() != null) {
                check(context, at, onException.getOnWhen().getExpressionType(), true, problems);
            }
            checkSub(context, at, onException.getHandled(), problems);
            checkSub(context, at, onException.getContinued(), problems);
            checkSub(context, at, onException.getRetryWhile(), problems);
        }
        if (node instanceof ExpressionNode expressionNode && expressionNode.getExpression() != null) {
            Object kind = node;
            check(context, at, expressionNode.getExpression(),
                    kind instanceof WhenDefinition || kind instanceof FilterDefinition, problems);
        }
        if (node instanceof LogDefinition log && log.getMessage() != null && !log.getMessage().contains("{{")) {
            try {
                context.resolveLanguage("simple").createExpression(log.getMessage());
            } catch (Exception e) {
                problems.add(at + ": log message: " + messages(e));
            }
        }
        for (ProcessorDefinition<?> output : node.getOutputs()) {
            check(context, file, output, problems);
        }
    }

    private static void checkSub(DefaultCamelContext context, String at, ExpressionSubElementDefinition sub, List<String> problems) {
        if (sub != null && sub.getExpressionType() != null) {
            check(context, at, sub.getExpressionType(), true, problems);
        }
    }

    private static void check(DefaultCamelContext context, String at, ExpressionDefinition expression, boolean predicate,
                              List<String> problems) {
        Language language;
        try {
            language = context.resolveLanguage(expression.getLanguage());
        } catch (Exception e) {
            problems.add(at + ": unknown language " + expression.getLanguage() + ": " + messages(e));
            return;
        }
        if (expression instanceof TypedExpressionDefinition typed && typed.getResultTypeName() != null) {
            checkClass(context, at, typed.getResultTypeName(), problems);
        }
        String text = expression.getExpression();
        if ("simple".equals(expression.getLanguage()) && text != null && !text.contains("{{")) {
            try {
                if (predicate) {
                    language.createPredicate(text);
                } else {
                    Expression compiled = language.createExpression(text);
                    compiled.init(context);
                }
            } catch (Exception e) {
                problems.add(at + ": simple expression " + text + ": " + messages(e));
            }
        }
    }

    private static void checkClass(DefaultCamelContext context, String at, String name, List<String> problems) {
        if (context.getClassResolver().resolveClass(name) == null) {
            problems.add(at + ": no class " + name);
        }
    }

    private static String line(Object node) {
        return node instanceof LineNumberAware aware && aware.getLineNumber() > 0 ? Integer.toString(aware.getLineNumber()) : "?";
    }

    private static String messages(Throwable e) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (!text.isEmpty()) {
                text.append(" / ");
            }
            text.append(t.getMessage());
        }
        return text.toString();
    }

    private static synchronized Schema schema() {
        if (schema == null) {
            try (InputStream in = org.apache.camel.dsl.yaml.YamlRoutesBuilderLoader.class.getResourceAsStream(SCHEMA)) {
                if (in == null) {
                    throw new IllegalStateException(SCHEMA + " is not inside camel-yaml-dsl any more");
                }
                schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4).getSchema(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return schema;
    }

    /** The YAML tree as JSON (scalars typed as YAML 1.2 resolves them), remembering where each node starts. */
    private static JsonNode toJson(Node node, String pointer, Map<String, Mark> marks) {
        node.getStartMark().ifPresent(mark -> marks.putIfAbsent(pointer, mark));
        JsonNodeFactory json = JsonNodeFactory.instance;
        if (node instanceof MappingNode mapping) {
            ObjectNode object = json.objectNode();
            for (NodeTuple entry : mapping.getValue()) {
                String key = entry.getKeyNode() instanceof ScalarNode scalar ? scalar.getValue() : String.valueOf(entry.getKeyNode());
                String child = pointer + "/" + escape(key);
                // the key's line: where a reader looks for a misspelt key
                entry.getKeyNode().getStartMark().ifPresent(mark -> marks.put(child, mark));
                object.set(key, toJson(entry.getValueNode(), child, marks));
            }
            return object;
        }
        if (node instanceof SequenceNode sequence) {
            ArrayNode array = json.arrayNode();
            List<Node> items = sequence.getValue();
            for (int i = 0; i < items.size(); i++) {
                array.add(toJson(items.get(i), pointer + "/" + i, marks));
            }
            return array;
        }
        ScalarNode scalar = (ScalarNode) node;
        String value = scalar.getValue();
        Tag tag = scalar.getTag();
        try {
            if (Tag.NULL.equals(tag)) {
                return json.nullNode();
            }
            if (Tag.BOOL.equals(tag)) {
                return json.booleanNode(Boolean.parseBoolean(value));
            }
            if (Tag.INT.equals(tag)) {
                return json.numberNode(new BigInteger(value));
            }
            if (Tag.FLOAT.equals(tag)) {
                return json.numberNode(new BigDecimal(value));
            }
        } catch (NumberFormatException e) {
            // .inf, 0x1F and friends: leave them as text
        }
        return json.textNode(value);
    }

    /**
     * Camel resolves {@code "{{…}}"} before it reads a boolean or a number ({@code autoStartup: "{{geolead.x.enabled}}"});
     * the schema only knows the resolved type.
     */
    private static boolean isPlaceholderForAType(Error error) {
        return "type".equals(error.getKeyword()) && error.getInstanceNode() != null && error.getInstanceNode().isTextual()
                && PLACEHOLDER.matcher(error.getInstanceNode().asText()).matches();
    }

    private static final java.util.regex.Pattern PLACEHOLDER = java.util.regex.Pattern.compile("\\{\\{[^{}]+}}");

    /** "autoStartup: " for an error about the value of key autoStartup; "" for an item of a list or the root. */
    private static String name(NodePath path) {
        int n = path.getNameCount();
        return n > 0 && path.getElement(n - 1) instanceof String key ? key + ": " : "";
    }

    private static String pointer(NodePath path) {
        StringBuilder pointer = new StringBuilder();
        for (int i = 0; i < path.getNameCount(); i++) {
            Object element = path.getElement(i);
            pointer.append('/').append(element instanceof Integer ? element.toString() : escape(String.valueOf(element)));
        }
        return pointer.toString();
    }

    private static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }

    /** The mark of {@code pointer}, or of its closest ancestor that has one. */
    private static Mark nearest(Map<String, Mark> marks, String pointer) {
        String p = pointer;
        while (true) {
            Mark mark = marks.get(p);
            if (mark != null || p.isEmpty()) {
                return mark;
            }
            p = p.substring(0, p.lastIndexOf('/'));
        }
    }

    private static String where(Path file, Mark mark) {
        return mark == null ? file + ":1:1" : file + ":" + (mark.getLine() + 1) + ":" + (mark.getColumn() + 1);
    }
}
