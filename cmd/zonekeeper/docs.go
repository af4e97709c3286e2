package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagReferenceEnvPrefix is the prefix of the environment variable the reference lists
// for each flag: upstream's, because a deployment moving over from external-dns already
// sets those.
const flagReferenceEnvPrefix = "EXTERNAL_DNS_"

// flagReference renders the Markdown reference of root's command tree: one section per
// available command (hidden and deprecated commands left out), depth first with siblings
// sorted by name, each with its description, usage and a table of its flags. Flags that
// several commands define identically get one table of their own, which the commands link
// to, so that `run` and `plan` do not repeat eighty rows each. Hidden flags are left out,
// except deprecated ones, which are listed and marked, and external-dns flags the
// parser only accepts to refuse, which are listed at the end. The output depends only on
// the tree: the same tree always renders the same bytes.
func flagReference(root *cobra.Command) string {
	commands := availableCommands(root)
	tables := make([]commandFlags, len(commands))
	usedBy := map[string][]string{}
	refused := map[string]refusedFlag{}
	for i, c := range commands {
		tables[i] = flagsOf(c)
		for _, row := range tables[i].rows {
			usedBy[row.text] = append(usedBy[row.text], c.CommandPath())
		}
		for _, rf := range tables[i].refused {
			refused[rf.name] = rf
		}
	}

	// A group is the set of commands that share a row, keyed by their joined paths.
	groupRows := map[string][]tableRow{}
	groupCommands := map[string][]string{}
	for i := range commands {
		for _, row := range tables[i].rows {
			paths := usedBy[row.text]
			key := strings.Join(paths, "\x00")
			if len(paths) < 2 || paths[0] != commands[i].CommandPath() {
				continue
			}
			groupRows[key] = append(groupRows[key], row)
			groupCommands[key] = paths
		}
	}
	groupKeys := slices.Sorted(maps.Keys(groupRows))

	var b strings.Builder
	writeIntro(&b, root)
	for i, c := range commands {
		var own []tableRow
		for _, row := range tables[i].rows {
			if len(usedBy[row.text]) < 2 {
				own = append(own, row)
			}
		}
		writeCommand(&b, c, own)
		for _, key := range groupKeys {
			if slices.Contains(groupCommands[key], c.CommandPath()) {
				heading := sharedHeading(groupCommands[key])
				fmt.Fprintf(&b, "It also takes the [%s](#%s).\n\n", strings.ToLower(heading[:1])+heading[1:], anchor(heading))
			}
		}
	}
	for _, key := range groupKeys {
		fmt.Fprintf(&b, "## %s\n\n", sharedHeading(groupCommands[key]))
		writeTable(&b, groupRows[key])
	}
	writeRefused(&b, root.Name(), refused)
	return strings.TrimRight(b.String(), "\n") + "\n"
}

// commandFlags is one command's part of the reference: its table rows and the
// external-dns flags it refuses.
type commandFlags struct {
	rows    []tableRow
	refused []refusedFlag
}

// tableRow is one flag's row of a table, text in Markdown.
type tableRow struct {
	flag, text string
}

// availableCommands lists c and the commands under it that `zonekeeper help` would show,
// depth first, siblings by name.
func availableCommands(c *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{c}
	children := slices.Clone(c.Commands())
	slices.SortFunc(children, func(a, b *cobra.Command) int { return strings.Compare(a.Name(), b.Name()) })
	for _, child := range children {
		if child.IsAvailableCommand() {
			out = append(out, availableCommands(child)...)
		}
	}
	return out
}

// flagsOf renders the flags c defines itself; inherited persistent flags belong to the
// ancestor's section.
func flagsOf(c *cobra.Command) commandFlags {
	fs := c.LocalFlags()
	var out commandFlags
	fs.VisitAll(func(f *pflag.Flag) {
		if v, ok := f.Value.(refusedValue); ok {
			if v.name == v.flag.name { // not its --no- form
				out.refused = append(out.refused, v.flag)
			}
			return
		}
		if f.Hidden && f.Deprecated == "" {
			return
		}
		out.rows = append(out.rows, tableRow{flag: f.Name, text: flagRow(fs, f)})
	})
	return out
}

// flagRow renders one table row: names, type, default, environment variable, description.
func flagRow(fs *pflag.FlagSet, f *pflag.Flag) string {
	names := "`--" + f.Name + "`"
	if f.Value.Type() == "bool" && fs.Lookup(negationPrefix+f.Name) != nil {
		names += ", `--" + negationPrefix + f.Name + "`"
	}
	if f.Shorthand != "" {
		names += ", `-" + f.Shorthand + "`"
	}
	kind, usage := pflag.UnquoteUsage(f)
	if kind == "" {
		kind = f.Value.Type()
	}
	usage = markdownText(usage)
	if f.Deprecated != "" {
		usage = "**Deprecated:** " + markdownText(f.Deprecated) + " " + usage
	}
	return fmt.Sprintf("| %s | %s | %s | `%s%s` | %s |", names, kind, defaultValue(f), flagReferenceEnvPrefix, envName(f.Name), usage)
}

// defaultValue shows a default the way it would be typed: lists without pflag's brackets,
// and nothing for an empty value.
func defaultValue(f *pflag.Flag) string {
	def := f.DefValue
	if strings.HasSuffix(f.Value.Type(), "Slice") || strings.HasSuffix(f.Value.Type(), "Array") {
		def = strings.TrimSuffix(strings.TrimPrefix(def, "["), "]")
	}
	if def == "" {
		return ""
	}
	return "`" + def + "`"
}

// markdownEscaper makes plain text safe in a Markdown paragraph or table cell: "|" would
// end the cell, "<zone>" would be dropped as an HTML tag, "*" could start emphasis.
var markdownEscaper = strings.NewReplacer("\n", " ", "|", `\|`, "<", "&lt;", ">", "&gt;", "*", `\*`)

func markdownText(s string) string { return markdownEscaper.Replace(s) }

func writeIntro(b *strings.Builder, root *cobra.Command) {
	env := make([]string, len(envPrefixes))
	for i, p := range envPrefixes {
		env[i] = "`" + p + "<FLAG>`"
	}
	fmt.Fprintf(b, "<!-- Generated from the commands in cmd/zonekeeper by `make docs`. Do not edit: CI fails when this file is stale. -->\n\n")
	fmt.Fprintf(b, "# %s command line reference\n\n", root.Name())
	fmt.Fprintf(b, "Every flag can also be set from the environment, as\n%s,\n", strings.Join(env, " or "))
	fmt.Fprintf(b, `with the flag's name upper-cased and its dashes turned into underscores. The command
line wins, then the variables in that order. The tables name the %s variable,
which external-dns reads too.

Flags of type `+"`strings`"+` are repeatable and take comma-separated lists; in the
environment they also take one value a line, as external-dns reads them. A boolean
flag listed with its `+"`--%s`"+` form is turned off by that form, as in external-dns.

`, "`"+flagReferenceEnvPrefix+"`", negationPrefix+"<flag>")
}

func writeCommand(b *strings.Builder, c *cobra.Command, rows []tableRow) {
	fmt.Fprintf(b, "## %s\n\n%s\n\n```text\n", c.CommandPath(), markdownText(c.Short))
	if c.Long != "" {
		fmt.Fprintf(b, "%s\n\n", strings.TrimSpace(c.Long))
	}
	b.WriteString("Usage:\n")
	if c.Runnable() {
		fmt.Fprintf(b, "  %s\n", c.UseLine())
	}
	if c.HasAvailableSubCommands() {
		fmt.Fprintf(b, "  %s [command]\n", c.CommandPath())
	}
	b.WriteString("```\n\n")
	var children []*cobra.Command
	for _, child := range c.Commands() {
		if child.IsAvailableCommand() {
			children = append(children, child)
		}
	}
	if len(children) > 0 {
		slices.SortFunc(children, func(x, y *cobra.Command) int { return strings.Compare(x.Name(), y.Name()) })
		b.WriteString("| command | what it does |\n|---|---|\n")
		for _, child := range children {
			fmt.Fprintf(b, "| [%s](#%s) | %s |\n", child.Name(), anchor(child.CommandPath()), markdownText(child.Short))
		}
		b.WriteString("\n")
	}
	if len(rows) > 0 {
		writeTable(b, rows)
	}
}

func writeTable(b *strings.Builder, rows []tableRow) {
	slices.SortFunc(rows, func(x, y tableRow) int { return strings.Compare(x.flag, y.flag) })
	b.WriteString("| flag | type | default | environment | description |\n|---|---|---|---|---|\n")
	for _, row := range rows {
		b.WriteString(row.text + "\n")
	}
	b.WriteString("\n")
}

func writeRefused(b *strings.Builder, program string, refused map[string]refusedFlag) {
	if len(refused) == 0 {
		return
	}
	fmt.Fprintf(b, `## external-dns flags %[1]s refuses

%[1]s does not implement these external-dns flags. Given on the command line or in
the environment, each stops the command with an error naming it and saying what to use
instead, rather than being ignored: a zone filter or a credential someone relies on
must not silently stop applying.

| flag | instead |
|---|---|
`, program)
	for _, name := range slices.Sorted(maps.Keys(refused)) {
		rf := refused[name]
		names := "`--" + name + "`"
		if rf.boolean {
			names += ", `--" + negationPrefix + name + "`"
		}
		fmt.Fprintf(b, "| %s | %s |\n", names, markdownText(rf.instead))
	}
	b.WriteString("\n")
}

// sharedHeading names the section of flags that the commands at paths define alike.
func sharedHeading(paths []string) string {
	sorted := slices.Sorted(slices.Values(paths))
	return "Flags of " + strings.Join(sorted[:len(sorted)-1], ", ") + " and " + sorted[len(sorted)-1]
}

// anchor is the fragment GitHub gives a heading: lower case, spaces as dashes, other
// punctuation dropped.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
