package newswatch.peer;

import java.util.ArrayList;
import java.util.List;

/**
 * The `when` language of SPEC section 2, parsed into a small tree: operands
 * are set names or double-quoted terms; operators, tightest first, NOT and
 * FIRST/n (SPEC 2b: a match of the operand starts within the first n words
 * of its field; the operand a set, a term or a parenthesised OR of those),
 * NEAR/n, AND, OR; parentheses group; keywords are case-insensitive.
 *
 * Anything else (the other operators of SPEC 2b: `title:x`, `lang:ru`,
 * `PRE/n`, `NEAR/S`, `ATLEAST/n`, `A NOT NEAR/n B`, ...) is an
 * {@link Unsupported}: the peer then skips the rule and says so.
 */
final class When {
    private When() {}

    /** An expression the peer cannot translate, with the reason. */
    static final class Unsupported extends Exception {
        Unsupported(String message) {
            super(message);
        }
    }

    sealed interface Node permits SetRef, TermRef, Not, And, Or, Near, First {}

    record SetRef(String name) implements Node {}

    record TermRef(String text) implements Node {}

    record Not(Node inner) implements Node {}

    record And(List<Node> items) implements Node {}

    record Or(List<Node> items) implements Node {}

    /** Each side a SetRef, a TermRef or an Or of those. */
    record Near(int n, Node left, Node right) implements Node {}

    /** `FIRST/n inner`, n at least 1; inner a SetRef, a TermRef or an Or of those. */
    record First(int n, Node inner) implements Node {}

    private enum Kind { IDENT, STR, AND, OR, NOT, NEAR, FIRST, OPEN, CLOSE, END }

    private record Tok(Kind kind, String text, int n, int column) {}

    static boolean isNameChar(int c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '-' || c == '.';
    }

    private static List<Tok> tokenize(String src) throws Unsupported {
        List<Tok> toks = new ArrayList<>();
        int[] cs = src.codePoints().toArray();
        int i = 0;
        while (i < cs.length) {
            int c = cs[i];
            int col = i + 1;
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '(') {
                toks.add(new Tok(Kind.OPEN, "(", 0, col));
                i++;
            } else if (c == ')') {
                toks.add(new Tok(Kind.CLOSE, ")", 0, col));
                i++;
            } else if (c == '"') {
                StringBuilder s = new StringBuilder();
                i++;
                while (true) {
                    if (i >= cs.length) throw new Unsupported("unterminated quoted term at column " + col);
                    int d = cs[i];
                    if (d == '"') break;
                    if (d == '\\' && i + 1 < cs.length && (cs[i + 1] == '"' || cs[i + 1] == '\\')) {
                        s.appendCodePoint(cs[i + 1]);
                        i += 2;
                    } else {
                        s.appendCodePoint(d);
                        i++;
                    }
                }
                i++;
                toks.add(new Tok(Kind.STR, s.toString(), 0, col));
            } else if (isNameChar(c)) {
                int start = i;
                while (i < cs.length && isNameChar(cs[i])) i++;
                String word = new String(cs, start, i - start);
                switch (word.toUpperCase(java.util.Locale.ROOT)) {
                    case "AND" -> toks.add(new Tok(Kind.AND, word, 0, col));
                    case "OR" -> toks.add(new Tok(Kind.OR, word, 0, col));
                    case "NOT" -> toks.add(new Tok(Kind.NOT, word, 0, col));
                    case "NEAR", "FIRST" -> {
                        Kind kind = word.equalsIgnoreCase("NEAR") ? Kind.NEAR : Kind.FIRST;
                        String upper = kind.name();
                        if (i >= cs.length || cs[i] != '/') {
                            throw new Unsupported(upper + " without /n at column " + col);
                        }
                        i++;
                        int ds = i;
                        while (i < cs.length && cs[i] >= '0' && cs[i] <= '9') i++;
                        if (ds == i) {
                            throw new Unsupported(upper + "/" + (i < cs.length ? new String(cs, i, 1) : "")
                                    + "... (not " + upper + "/n) at column " + col);
                        }
                        long n = Long.parseLong(new String(cs, ds, i - ds));
                        toks.add(new Tok(kind, word, (int) Math.min(n, Integer.MAX_VALUE / 4), col));
                    }
                    default -> toks.add(new Tok(Kind.IDENT, word, 0, col));
                }
            } else {
                throw new Unsupported("operator or character `" + new String(cs, i, 1) + "` at column " + col
                        + " (not in the SPEC 2 language)");
            }
        }
        toks.add(new Tok(Kind.END, "", 0, cs.length + 1));
        return toks;
    }

    static Node parse(String src) throws Unsupported {
        Parser p = new Parser(tokenize(src));
        Node n = p.or();
        Tok t = p.peek();
        if (t.kind != Kind.END) {
            throw new Unsupported("unexpected `" + t.text + "` at column " + t.column);
        }
        return n;
    }

    private static final class Parser {
        private final List<Tok> toks;
        private int pos;

        Parser(List<Tok> toks) {
            this.toks = toks;
        }

        Tok peek() {
            return toks.get(Math.min(pos, toks.size() - 1));
        }

        Tok bump() {
            Tok t = peek();
            pos++;
            return t;
        }

        Node or() throws Unsupported {
            List<Node> items = new ArrayList<>();
            items.add(and());
            while (peek().kind == Kind.OR) {
                bump();
                items.add(and());
            }
            return items.size() == 1 ? items.get(0) : new Or(items);
        }

        Node and() throws Unsupported {
            List<Node> items = new ArrayList<>();
            items.add(near());
            while (peek().kind == Kind.AND) {
                bump();
                items.add(near());
            }
            return items.size() == 1 ? items.get(0) : new And(items);
        }

        Node near() throws Unsupported {
            Node left = unary();
            if (peek().kind != Kind.NEAR) {
                if (peek().kind == Kind.NOT) {
                    throw new Unsupported("`NOT` after an operand at column " + peek().column
                            + " (NOT NEAR/n is SPEC 2b)");
                }
                return left;
            }
            Tok op = bump();
            Node right = unary();
            checkOperand(left, op);
            checkOperand(right, op);
            if (peek().kind == Kind.NEAR) throw new Unsupported("chained NEAR at column " + peek().column);
            return new Near(op.n, left, right);
        }

        /** An operand of {@code op} (NEAR/n or FIRST/n) is a set, a term or an OR of those. */
        private static void checkOperand(Node side, Tok op) throws Unsupported {
            boolean ok = side instanceof SetRef || side instanceof TermRef
                    || (side instanceof Or o && o.items().stream()
                            .allMatch(x -> x instanceof SetRef || x instanceof TermRef));
            if (!ok) {
                throw new Unsupported(op.kind.name() + " operand at column " + op.column
                        + " is not a set, term or OR of those");
            }
        }

        Node unary() throws Unsupported {
            if (peek().kind == Kind.NOT) {
                bump();
                return new Not(unary());
            }
            if (peek().kind == Kind.FIRST) {
                Tok op = bump();
                if (op.n < 1) throw new Unsupported("FIRST/0 at column " + op.column);
                Node inner = primary();
                checkOperand(inner, op);
                return new First(op.n, inner);
            }
            return primary();
        }

        Node primary() throws Unsupported {
            Tok t = bump();
            switch (t.kind) {
                case IDENT:
                    return new SetRef(t.text);
                case STR:
                    return new TermRef(t.text);
                case OPEN: {
                    Node inner = or();
                    Tok c = bump();
                    if (c.kind != Kind.CLOSE) throw new Unsupported("expected `)` at column " + c.column);
                    return inner;
                }
                default:
                    throw new Unsupported("unexpected `" + t.text + "` at column " + t.column);
            }
        }
    }
}
