// Cinder's volume types: the default one and `standard`, both directory-backed here.

export const VOLUME_TYPES = [
  {
    id: "5f7c4c5e-0000-4000-8000-000000000001",
    name: "__DEFAULT__",
    description: "Default Volume Type",
  },
  {
    id: "5f7c4c5e-0000-4000-8000-000000000002",
    name: "standard",
    description: "localcloud directory-backed volumes",
  },
];

export type VolumeType = (typeof VOLUME_TYPES)[number];

/** The type with this name, or with this id. */
export function findVolumeType(name: string, id?: string): VolumeType | undefined {
  return VOLUME_TYPES.find((type) => type.name === name || type.id === id);
}

export function volumeTypeView(type: VolumeType) {
  return {
    id: type.id,
    name: type.name,
    description: type.description,
    is_public: true,
    extra_specs: {},
    qos_specs_id: null,
    "os-volume-type-access:is_public": true,
  };
}
