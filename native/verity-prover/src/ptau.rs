//! Reads ranges of a prepared powers-of-tau file (snarkjs's .ptau) without loading it whole:
//! 1 header, 2 tau·G1 (2^(p+1)−1 points), 4 alpha·tau·G1, 5 beta·tau·G1, 6 beta·G2, and the
//! Lagrange sections 12 (tau·G1), 13 (tau·G2), 14 (alpha·tau·G1), 15 (beta·tau·G1), each
//! holding every level 2^0, 2^1, … in turn, so level 2^k starts at point 2^k − 1.
use crate::binfile::limbs;
use ark_bn254::Fq;
use ark_ff::PrimeField;
use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

pub struct Ptau {
    file: File,
    sections: HashMap<u32, (u64, u64)>,
    pub power: u32,
}

impl Ptau {
    pub fn open(path: &str) -> Result<Ptau, String> {
        let mut file = File::open(path).map_err(|e| e.to_string())?;
        let len = file.metadata().map_err(|e| e.to_string())?.len();
        let mut head = [0u8; 12];
        file.read_exact(&mut head).map_err(|_| "not a .ptau file".to_string())?;
        if &head[..4] != b"ptau" {
            return Err("not a .ptau file".into());
        }
        let n = u32::from_le_bytes(head[8..12].try_into().unwrap());
        let mut sections = HashMap::new();
        let mut pos = 12u64;
        for _ in 0..n {
            let mut s = [0u8; 12];
            file.seek(SeekFrom::Start(pos)).and_then(|_| file.read_exact(&mut s)).map_err(|_| format!("truncated section table at byte {pos}"))?;
            let id = u32::from_le_bytes(s[..4].try_into().unwrap());
            let size = u64::from_le_bytes(s[4..].try_into().unwrap());
            if pos + 12 + size > len {
                return Err(format!("section {id} runs past the end of the file"));
            }
            sections.entry(id).or_insert((pos + 12, size));
            pos += 12 + size;
        }
        let mut ptau = Ptau { file, sections, power: 0 };
        let header = ptau.read(1, 0, 4 + 32 + 4)?;
        if u32::from_le_bytes(header[..4].try_into().unwrap()) != 32 || limbs(&header[4..36]) != Fq::MODULUS.0 {
            return Err("not a BN254 powers of tau".into());
        }
        ptau.power = u32::from_le_bytes(header[36..40].try_into().unwrap());
        Ok(ptau)
    }

    pub fn has(&self, id: u32) -> bool {
        self.sections.contains_key(&id)
    }

    /// `len` bytes of section `id` from `offset`, which must lie inside the section.
    pub fn read(&mut self, id: u32, offset: u64, len: usize) -> Result<Vec<u8>, String> {
        let &(pos, size) = self.sections.get(&id).ok_or_else(|| format!("section {id} is missing"))?;
        if offset + len as u64 > size {
            return Err(format!("section {id} holds {size} bytes, {} wanted", offset + len as u64));
        }
        self.read_at(pos + offset, len)
    }

    /// `len` bytes from section `id`'s start plus `offset`, wherever that lands in the file (as
    /// snarkjs reads them).
    pub fn read_past(&mut self, id: u32, offset: u64, len: usize) -> Result<Vec<u8>, String> {
        let &(pos, _) = self.sections.get(&id).ok_or_else(|| format!("section {id} is missing"))?;
        self.read_at(pos + offset, len)
    }

    /// Whether `[offset, offset + len)` lies inside section `id`.
    pub fn within(&self, id: u32, offset: u64, len: usize) -> bool {
        self.sections.get(&id).is_some_and(|&(_, size)| offset + len as u64 <= size)
    }

    fn read_at(&mut self, at: u64, len: usize) -> Result<Vec<u8>, String> {
        let mut buf = vec![0u8; len];
        self.file.seek(SeekFrom::Start(at)).and_then(|_| self.file.read_exact(&mut buf)).map_err(|e| format!("reading {len} bytes at {at}: {e}"))?;
        Ok(buf)
    }
}
