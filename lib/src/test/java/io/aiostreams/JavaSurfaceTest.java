package io.aiostreams;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What a Java programmer sees of the library: no member Java can call but should not (Kotlin's internal members
 * compile to public methods with mangled names), and no Kotlin object whose methods need {@code INSTANCE}.
 */
class JavaSurfaceTest {
    private static final List<String> PUBLIC_PACKAGES =
            List.of("io/aiostreams", "io/aiostreams/future", "io/aiostreams/blocking", "io/aiostreams/protocol");

    private static List<Class<?>> publicClasses() throws IOException, ClassNotFoundException {
        Path classes = Path.of(System.getProperty("aiostreams.classes", "target/classes"));
        List<Class<?>> found = new ArrayList<>();
        for (String pkg : PUBLIC_PACKAGES) {
            try (Stream<Path> files = Files.list(classes.resolve(pkg))) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    String name = file.getFileName().toString();
                    if (!name.endsWith(".class")) {
                        continue;
                    }
                    Class<?> type = Class.forName(pkg.replace('/', '.') + "." + name.replace(".class", ""), false,
                            JavaSurfaceTest.class.getClassLoader());
                    if (Modifier.isPublic(type.getModifiers()) && !type.isSynthetic() && !type.isAnonymousClass()
                            && type.getEnclosingMethod() == null) {
                        found.add(type);
                    }
                }
            }
        }
        return found;
    }

    private static boolean visible(Member member) {
        int modifiers = member.getModifiers();
        return (Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers)) && !member.isSynthetic();
    }

    @Test
    void noMangledInternalMemberIsVisibleFromJava() throws Exception {
        List<String> mangled = new ArrayList<>();
        for (Class<?> type : publicClasses()) {
            for (Method method : type.getDeclaredMethods()) {
                if (visible(method) && method.getName().contains("$")) {
                    mangled.add(type.getName() + "." + method.getName());
                }
            }
            for (Field field : type.getDeclaredFields()) {
                if (visible(field) && field.getName().contains("$")) {
                    mangled.add(type.getName() + "." + field.getName());
                }
            }
        }
        assertEquals(List.of(), mangled);
    }

    @Test
    void javaSeesNoMethodOrFieldBeyondTheCheckedInApiDump() throws Exception {
        // Internal top-level functions and @JvmField-less internals are not mangled: only the dump tells them apart.
        Path dumpFile = Path.of(System.getProperty("aiostreams.apiDump", "api/aiostreams.api"));
        java.util.Set<String> declared = new java.util.HashSet<>();
        String owner = null;
        for (String line : Files.readAllLines(dumpFile)) {
            java.util.regex.Matcher header = java.util.regex.Pattern
                    .compile("^public .*(?:class|interface) ([\\w/$]+)").matcher(line);
            if (header.find()) {
                owner = header.group(1).replace('/', '.');
                continue;
            }
            java.util.regex.Matcher member = java.util.regex.Pattern
                    .compile("^\\s+(?:public|protected) .*(?:fun|field) ([\\w$<>-]+) ").matcher(line);
            if (owner != null && member.find()) {
                declared.add(owner + "." + member.group(1));
            }
        }
        List<String> undeclared = new ArrayList<>();
        for (Class<?> type : publicClasses()) {
            // Kotlin's internal classes are public to Java too; the API dump leaves them out, and so does this test.
            kotlin.Metadata metadata = type.getAnnotation(kotlin.Metadata.class);
            boolean fileFacade = metadata != null && metadata.k() == 2;
            if (!fileFacade && declared.stream().noneMatch(m -> m.startsWith(type.getName() + "."))) {
                continue;
            }
            for (Method method : type.getDeclaredMethods()) {
                if (visible(method) && !method.isBridge() && !declared.contains(type.getName() + "." + method.getName())) {
                    undeclared.add(type.getName() + "." + method.getName());
                }
            }
            for (Field field : type.getDeclaredFields()) {
                if (visible(field) && !declared.contains(type.getName() + "." + field.getName())) {
                    undeclared.add(type.getName() + "." + field.getName());
                }
            }
        }
        assertEquals(List.of(), undeclared);
    }

    @Test
    void everyMethodOfAKotlinObjectIsStaticSoJavaNeverWritesInstance() throws Exception {
        List<String> needInstance = new ArrayList<>();
        for (Class<?> type : publicClasses()) {
            Field instance;
            try {
                instance = type.getField("INSTANCE");
            } catch (NoSuchFieldException e) {
                continue;
            }
            if (!Modifier.isStatic(instance.getModifiers()) || type.isEnum()) {
                continue;
            }
            for (Method method : type.getDeclaredMethods()) {
                if (visible(method) && !Modifier.isStatic(method.getModifiers())
                        && Arrays.stream(Object.class.getMethods()).noneMatch(m -> m.getName().equals(method.getName()))) {
                    needInstance.add(type.getName() + "." + method.getName());
                }
            }
        }
        assertEquals(List.of(), needInstance);
    }
}
