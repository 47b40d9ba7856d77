// Package assets holds what Folio embeds in its binary: the application
// icon and the ICD-10-CM code set; fonts and templates as they come.
// Everything here is read-only; where each file comes from, and under what
// licence, is in NOTICE.md.
package assets

import _ "embed"

//go:generate go run ./icd10cmgen -in ../../shared/corpus/icd10cm/icd10cm_order_fy2022.tsv.gz -out icd10cm_fy2022.tsv.gz

// IconPNG is the application icon, 512×512 PNG.
//
//go:embed icon.png
var IconPNG []byte

// ICD10CMFY2022 is the ICD-10-CM code set of fiscal year 2022 (CDC's order
// file, 95,524 codes and category headers), a gzip-compressed TSV with the
// header code, billable, short_description, long_description, poa_exempt,
// chronic_indicator; package codeset reads it. icd10cmgen writes it.
//
//go:embed icd10cm_fy2022.tsv.gz
var ICD10CMFY2022 []byte
