// POST /servers/{id}/action: os-stop, os-start, reboot, forceDelete,
// os-getConsoleOutput, addSecurityGroup/removeSecurityGroup.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { badRequest, conflict, notFound, type Reply, type RequestContext } from "../http";
import type { Token } from "../keystone";
import type { Server } from "../state";
import type { NovaEmulator } from "./nova";
import { vmStateOf } from "./views";

type ActionArguments = Record<string, unknown> | null;

export class ServerActionHandlers {
  constructor(private nova: NovaEmulator) {}

  /** The action is the body's only key, its arguments that key's value. */
  run = (ctx: RequestContext, token: Token): Reply => {
    const server = this.nova.findServer(ctx.params.id, token);
    const body = ctx.json<Record<string, ActionArguments>>();
    const [name] = Object.keys(body);
    const args = body[name];
    switch (name) {
      case "os-stop":
        return this.stop(server);
      case "os-start":
        return this.start(server);
      case "reboot":
        return this.reboot(server);
      case "forceDelete":
        this.nova.scheduleDelete(server);
        return { status: 202 };
      case "os-getConsoleOutput":
        return this.consoleOutput(server, Number(args?.length ?? 0));
      case "addSecurityGroup":
      case "removeSecurityGroup":
        return this.changeSecurityGroup(
          server,
          token,
          String(args?.name ?? ""),
          name === "addSecurityGroup",
        );
      default:
        throw badRequest(`There is no such action: ${name}`);
    }
  };

  private stop(server: Server): Reply {
    if (server.status !== "ACTIVE" && server.status !== "ERROR") throw refused("stop", server);
    if (server.task_state) throw busy("stop", server);
    server.task_state = "powering-off";
    this.nova.cloud.afterTransition(async () => {
      await this.nova.cloud.runner.stop(server.id);
      this.nova.setStatus(server, "SHUTOFF");
    });
    return { status: 202 };
  }

  private start(server: Server): Reply {
    if (server.status !== "SHUTOFF") throw refused("start", server);
    if (server.task_state) throw busy("start", server);
    server.task_state = "powering-on";
    this.nova.cloud.afterTransition(async () => {
      await this.nova.powerOn(server);
      this.nova.setStatus(server, "ACTIVE");
    });
    return { status: 202 };
  }

  private reboot(server: Server): Reply {
    if (server.status !== "ACTIVE" && server.status !== "SHUTOFF") throw refused("reboot", server);
    this.nova.setStatus(server, "REBOOT", "reboot_started");
    this.nova.cloud.afterTransition(async () => {
      await this.nova.cloud.runner.stop(server.id);
      await this.nova.powerOn(server);
      this.nova.setStatus(server, "ACTIVE");
    });
    return { status: 202 };
  }

  /** The console log (what the server's processes wrote), its last `length` lines if given. */
  private consoleOutput(server: Server, length: number): Reply {
    let output: string;
    try {
      output = readFileSync(join(this.nova.serverDir(server.id), "console.log"), "utf8");
    } catch {
      output = "";
    }
    if (length > 0) output = output.split("\n").slice(-length).join("\n");
    return { status: 200, body: { output } };
  }

  /** By name or id (the server records what was given). */
  private changeSecurityGroup(server: Server, token: Token, group: string, add: boolean): Reply {
    if (!this.nova.neutron.securityGroupsOf(token).some((g) => g.name === group || g.id === group))
      throw notFound(`Security group ${group} not found for project ${token.project.id}.`);
    server.security_groups = add
      ? [...new Set([...server.security_groups, group])]
      : server.security_groups.filter((g) => g !== group);
    this.nova.save();
    return { status: 202 };
  }
}

/** 409 for an action the server's state does not allow. */
const refused = (action: string, server: Server) =>
  conflict(
    `Cannot '${action}' instance ${server.id} while it is in vm_state ${vmStateOf(server.status)}`,
  );

/** 409 for an action while another one is under way. */
const busy = (action: string, server: Server) =>
  conflict(
    `Cannot '${action}' instance ${server.id} while it is in task_state ${server.task_state}`,
  );
