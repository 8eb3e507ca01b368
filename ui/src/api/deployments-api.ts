/** Managed endpoints (`/api/ciclo/v1/endpoints…`), as the endpoint pages read them. */
import type { HistoryResponse, ListEndpointsResponse, ListRolloutsResponse, EndpointResponse } from "../../../src/shared/wire/deployments-wire";
import type { WireAbReport } from "../../../src/shared/wire/ab-wire";
import { CICLO, getJson } from "./http";

export type { WireDeployment, WireEndpoint, WireHistoryEntry, WireRollout } from "../../../src/shared/wire/deployments-wire";

const seg = encodeURIComponent;

export const listEndpoints = async (signal?: AbortSignal) => (await getJson<ListEndpointsResponse>(`${CICLO}/endpoints`, {}, signal)).endpoints;
export const getEndpoint = async (name: string, signal?: AbortSignal) => (await getJson<EndpointResponse>(`${CICLO}/endpoints/${seg(name)}`, {}, signal)).endpoint;
export const endpointHistory = async (name: string, signal?: AbortSignal) => (await getJson<HistoryResponse>(`${CICLO}/endpoints/${seg(name)}/history`, { tail: 50 }, signal)).history;
export const endpointRollouts = async (name: string, signal?: AbortSignal) => (await getJson<ListRolloutsResponse>(`${CICLO}/endpoints/${seg(name)}/rollouts`, {}, signal)).rollouts;

export type { WireAbReport, WireAbVariant } from "../../../src/shared/wire/ab-wire";
export const endpointAb = async (name: string, signal?: AbortSignal) => await getJson<WireAbReport>(`${CICLO}/endpoints/${seg(name)}/ab`, {}, signal);
