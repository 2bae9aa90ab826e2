import { DOMParser } from "@xmldom/xmldom";
import { SamlProtocolError } from "../../core/ports/saml.js";

/** What the SAML readers share: the namespaces, and one way to parse a document and walk its elements. */
export const PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol";
export const ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion";

export const refuse = (message: string): never => {
  throw new SamlProtocolError(message);
};

/** The element children of that name and namespace, in order (text, comments and the like are skipped). */
export function childrenOf(parent: Element, localName: string, namespace = ASSERTION): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType !== 1) continue;
    const element = node as Element;
    if (element.localName === localName && element.namespaceURI === namespace) found.push(element);
  }
  return found;
}

/** The one child of that name, or null; the schemas allow no second one. */
export function childOf(parent: Element, localName: string, namespace = ASSERTION): Element | null {
  const found = childrenOf(parent, localName, namespace);
  if (found.length > 1) refuse(`The ${parent.localName} holds more than one ${localName}.`);
  return found[0] ?? null;
}

/** Parses XML (screened: no DTD reaches here); any parser error refuses `what`. */
export function parseXml(xml: string, what: string): Document {
  const fail = (message: string) => refuse(`The ${what} does not parse: ${message}`);
  return new DOMParser({ errorHandler: { warning: () => {}, error: fail, fatalError: fail } }).parseFromString(
    xml,
    "text/xml",
  );
}

/** Parses a screened response; refuses a document that is not one SAML Response. */
export function parseResponse(xml: string): Element {
  const response = parseXml(xml, "SAML response").documentElement;
  if (response?.localName !== "Response" || response.namespaceURI !== PROTOCOL) {
    return refuse("The document is not a SAML Response.");
  }
  return response;
}
