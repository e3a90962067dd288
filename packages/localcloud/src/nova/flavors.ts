// Flavors: list, detail, show, extra specs (always empty).
import { notFound, type Reply, type RequestContext } from "../http";
import type { Flavor } from "../state";
import type { NovaEmulator } from "./nova";
import { flavorView } from "./views";

export class FlavorHandlers {
  constructor(private nova: NovaEmulator) {}

  private find(id: string): Flavor {
    const flavor = this.nova.records.flavors.find((f) => f.id === id);
    if (!flavor) throw notFound(`Flavor ${id} could not be found.`);
    return flavor;
  }

  private view = (flavor: Flavor) => flavorView(this.nova.cloud.baseUrl(), flavor);

  list = (): Reply => ({
    status: 200,
    body: {
      flavors: this.nova.records.flavors.map((flavor) => {
        const { id, name, links } = this.view(flavor);
        return { id, name, links, description: null };
      }),
    },
  });

  detail = (): Reply => ({
    status: 200,
    body: { flavors: this.nova.records.flavors.map(this.view) },
  });

  show = (ctx: RequestContext): Reply => ({
    status: 200,
    body: { flavor: this.view(this.find(ctx.params.id)) },
  });

  extraSpecs = (ctx: RequestContext): Reply => {
    this.find(ctx.params.id);
    return { status: 200, body: { extra_specs: {} } };
  };
}
