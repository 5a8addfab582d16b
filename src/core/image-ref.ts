/**
 * Container image references as the engines parse them (the distribution/reference grammar Docker
 * and Podman share): `[DOMAIN[:PORT]/]PATH[:TAG][@DIGEST]`, where each path component is lowercase
 * letters and digits joined by `.`, `_`, `__` or dashes, the domain a host name, IPv4 or [IPv6],
 * the tag at most 128 of `\w.-` not starting with `.` or `-`, the digest `ALGORITHM:HEX` (32+ hex
 * digits), and the name (domain and path) at most 255 characters. What the engine would refuse at
 * pull or create (uppercase in the path, unicode, `../`, a NUL) is refused at submission instead.
 */

const ALNUM = "[a-z0-9]+";
const SEPARATOR = "(?:[._]|__|-+)";
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const NAME = `(?:${HOST}(?::[0-9]+)?/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";

/** The whole grammar, anchored (the name's length is checked apart: imageReferenceProblem). */
export const IMAGE_REFERENCE = new RegExp(`^(${NAME})(?::${TAG})?(?:@${DIGEST})?$`);

export const MAX_IMAGE_NAME = 255;

/** Why `ref` is not an image reference the engines accept, or undefined when it is one. */
export function imageReferenceProblem(ref: string): string | undefined {
  const m = IMAGE_REFERENCE.exec(ref);
  if (!m)
    return "is not an image reference: [REGISTRY[:PORT]/]NAME[:TAG][@DIGEST] with a lowercase NAME of a-z, 0-9 and . _ - between them, e.g. localhost/busybox:latest or docker.io/library/python:3.12";
  const name = m[1] ?? "";
  if (name.length > MAX_IMAGE_NAME)
    return `has a name of ${name.length} characters; image names may have at most ${MAX_IMAGE_NAME}`;
  return undefined;
}
