// Security groups and their rules (recorded, not enforced).
import { conflict, notFound, type Reply, type RequestContext } from "../http";
import type { Token } from "../keystone";
import { type SecurityGroup, defaultSecurityGroup } from "../state";
import type { NeutronEmulator } from "./neutron";
import { missingAttribute } from "./ports";
import { securityGroupRuleView, securityGroupView } from "./views";

export class SecurityGroupHandlers {
  constructor(private neutron: NeutronEmulator) {}

  private find(id: string, token: Token): SecurityGroup {
    const group = this.neutron.securityGroupsOf(token).find((g) => g.id === id);
    if (!group) throw notFound(`Security group ${id} does not exist`, "SecurityGroupNotFound");
    return group;
  }

  list = (ctx: RequestContext, token: Token): Reply =>
    this.neutron.list(
      ctx,
      "security_groups",
      this.neutron.securityGroupsOf(token).map(securityGroupView),
    );

  show = (ctx: RequestContext, token: Token): Reply => ({
    status: 200,
    body: { security_group: securityGroupView(this.find(ctx.params.id, token)) },
  });

  /** A new group allows all egress, as Neutron makes it. */
  create = (ctx: RequestContext, token: Token): Reply => {
    const body = ctx.json<{ security_group?: { name?: string; description?: string } }>()
      .security_group;
    if (!body?.name) throw missingAttribute("name");
    const group = defaultSecurityGroup(token.project.id);
    group.name = body.name;
    group.description = body.description ?? "";
    group.rules = group.rules.filter((rule) => rule.direction === "egress");
    this.neutron.records.securityGroups.push(group);
    this.neutron.save();
    return { status: 201, body: { security_group: securityGroupView(group) } };
  };

  remove = (ctx: RequestContext, token: Token): Reply => {
    const { records } = this.neutron;
    const group = this.find(ctx.params.id, token);
    if (records.ports.some((p) => p.security_groups.includes(group.id)))
      throw conflict(`Security Group ${group.id} in use.`, "SecurityGroupInUse");
    records.securityGroups = records.securityGroups.filter((g) => g !== group);
    this.neutron.save();
    return { status: 204 };
  };

  listRules = (ctx: RequestContext, token: Token): Reply =>
    this.neutron.list(
      ctx,
      "security_group_rules",
      this.neutron
        .securityGroupsOf(token)
        .flatMap((group) => group.rules.map((rule) => securityGroupRuleView(group, rule))),
    );
}
