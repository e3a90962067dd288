// The HTTPS listener's certificates: a CA of this cloud and a certificate it
// signs for 127.0.0.1, localhost and the cloud's host name, made once per
// state directory with the `openssl` command (clouds.yaml names the CA as
// `cacert:`).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Certificates {
  caFile: string;
  key: string;
  cert: string;
}

const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });

export function ensureCertificates(dir: string, hostName = "127.0.0.1"): Certificates {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (name: string) => join(dir, name);
  const server = (ext: string) => file(`server-${hostName}.${ext}`);
  if (!existsSync(file("ca.pem"))) {
    openssl(
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650"],
      ...["-subj", "/CN=localcloud CA", "-keyout", file("ca.key"), "-out", file("ca.pem")],
      ...["-addext", "basicConstraints=critical,CA:TRUE"],
      ...["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
    );
  }
  if (!existsSync(server("pem"))) {
    openssl(
      ...["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${hostName}`],
      ...["-keyout", server("key"), "-out", server("csr")],
    );
    const names = ["IP:127.0.0.1", "DNS:localhost"];
    if (!/^[\d.]+$/.test(hostName) && hostName !== "localhost") names.push(`DNS:${hostName}`);
    writeFileSync(
      server("ext"),
      `subjectAltName=${names.join(",")}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
    );
    openssl(
      ...["x509", "-req", "-in", server("csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key")],
      ...["-CAcreateserial", "-days", "3650", "-extfile", server("ext"), "-out", server("pem")],
    );
  }
  return {
    caFile: file("ca.pem"),
    key: readFileSync(server("key"), "utf8"),
    cert: readFileSync(server("pem"), "utf8"),
  };
}
