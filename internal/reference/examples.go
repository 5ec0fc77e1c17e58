package reference

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// request is one example call of an endpoint, written out by example in
// each language the page offers.
type request struct {
	Method string
	URL    string // absolute, with the base URL
	Token  string // the placeholder of the Authorization header, "" for none
	JSON   string // a JSON body, "" for none
	File   string // a multipart part "file" with this file name, "" for none
}

// example is one request in one language.
type example struct {
	Lang  string // the id used in element ids and data attributes
	Label string
	Code  string
}

// examples writes rq as curl, fetch and Python requests.
func examples(rq request) []example {
	return []example{
		{"curl", "curl", curlOf(rq)},
		{"fetch", "JavaScript fetch", fetchOf(rq)},
		{"python", "Python requests", pythonOf(rq)},
	}
}

// indentJSON pretty-prints a JSON example with prefix before every line
// but the first.
func indentJSON(src, prefix string) string {
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(src), prefix, "  "); err != nil {
		return src
	}
	return b.String()
}

func curlOf(rq request) string {
	var b strings.Builder
	fmt.Fprintf(&b, "curl -X %s %s", rq.Method, shellQuote(rq.URL))
	if rq.Token != "" {
		fmt.Fprintf(&b, " \\\n  -H %s", shellQuote("Authorization: Bearer "+rq.Token))
	}
	if rq.JSON != "" {
		fmt.Fprintf(&b, " \\\n  -H 'Content-Type: application/json' \\\n  -d %s", shellQuote(indentJSON(rq.JSON, "  ")))
	}
	if rq.File != "" {
		fmt.Fprintf(&b, " \\\n  -F %s", shellQuote("file=@"+rq.File))
	}
	return b.String()
}

// shellQuote quotes s for a POSIX shell: single quotes, with each single
// quote inside written as '\”.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func fetchOf(rq request) string {
	var headers []string
	if rq.Token != "" {
		headers = append(headers, "Authorization: "+jsString("Bearer "+rq.Token))
	}
	var b strings.Builder
	if rq.File != "" {
		b.WriteString("const form = new FormData();\nform.append('file', fileInput.files[0]); // " + rq.File + "\n")
	}
	fmt.Fprintf(&b, "const res = await fetch(%s, {\n  method: %s,\n", jsString(rq.URL), jsString(rq.Method))
	if rq.JSON != "" {
		headers = append(headers, "'Content-Type': 'application/json'")
	}
	if len(headers) > 0 {
		fmt.Fprintf(&b, "  headers: { %s },\n", strings.Join(headers, ", "))
	}
	switch {
	case rq.JSON != "":
		fmt.Fprintf(&b, "  body: JSON.stringify(%s),\n", indentJSON(rq.JSON, "  "))
	case rq.File != "":
		b.WriteString("  body: form,\n")
	}
	b.WriteString("});\n")
	b.WriteString("const data = res.status === 204 ? null : await res.json();")
	return b.String()
}

// pyLiteral writes a JSON document as a Python literal.
func pyLiteral(src string) string {
	s := indentJSON(src, "")
	var b strings.Builder
	inString := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inString:
			b.WriteByte(c)
			if c == '\\' && i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
			b.WriteByte(c)
		case strings.HasPrefix(s[i:], "true"):
			b.WriteString("True")
			i += 3
		case strings.HasPrefix(s[i:], "false"):
			b.WriteString("False")
			i += 4
		case strings.HasPrefix(s[i:], "null"):
			b.WriteString("None")
			i += 3
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func pythonOf(rq request) string {
	var b strings.Builder
	b.WriteString("import requests\n\n")
	var args []string
	args = append(args, jsString(rq.URL))
	if rq.Token != "" {
		args = append(args, "headers={\"Authorization\": "+jsString("Bearer "+rq.Token)+"}")
	}
	if rq.JSON != "" {
		args = append(args, "json="+pyLiteral(rq.JSON))
	}
	if rq.File != "" {
		args = append(args, "files={\"file\": open("+jsString(rq.File)+", \"rb\")}")
	}
	fmt.Fprintf(&b, "res = requests.%s(\n    %s,\n)\n", strings.ToLower(rq.Method), strings.Join(args, ",\n    "))
	b.WriteString("res.raise_for_status()\nprint(res.status_code, res.text)")
	return b.String()
}
