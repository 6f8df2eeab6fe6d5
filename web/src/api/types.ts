// Short names for the generated schemas the pages use.
import type { components } from './schema';

type S = components['schemas'];
export type Me = S['MeOutputBody'];
export type Sample = S['Sample'];
export type SampleFields = S['SampleFields'];
export type CustodyEvent = S['CustodyEvent'];
export type Wafer = S['Wafer'];
export type Device = S['Device'];
export type Run = S['Run'];
export type SPCAlert = S['SPCAlert'];
export type CalibrationStatus = S['CalibrationStatus'];
export type CalibrationState = S['InstrumentCalibration']['state'];
export type SampleStatus = S['Sample']['status'];
export type CustodyEventType = S['RecordCustodyInputBody']['event_type'];
export type Project = S['Project'];
export type Recipe = S['Recipe'];
export type RecipeParam = S['RecipeParam'];
export type RecipeFields = S['RecipeFields'];
export type RecipeApproval = S['RecipeApproval'];
export type SOP = S['SOP'];
export type SOPApproval = S['SOPApproval'];
export type MethodSignature = S['MethodSignature'];
export type MethodStatus = S['Recipe']['status'];
export type ELNEntry = S['ELNEntry'];
export type ELNSignature = S['ELNSignature'];
export type ELNManifest = S['ELNManifest'];
export type SignMeaning = S['SignELNInputBody']['meaning'];
